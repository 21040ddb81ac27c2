package io.sluice.core.scheduling;

import io.sluice.core.stream.TaskEvent;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Makes a task's terminal outcome durable before its stream shows it (REL-1, REL-5). Several instances share
 * one database, and an instance whose lease expired may have had its tasks resolved by another: the store's
 * answer, not the proposal, is what the stream publishes, so a client always sees what the database holds.
 *
 * <p>Implementations must not block the caller; the returned stage may complete on any thread. They retry
 * transient failures themselves: a stage that never completes leaves the stream sealed but unfinished, which
 * is the honest state while the outcome is not durable.
 */
public interface OutcomeStore {
    /** Keeps outcomes in memory only: for tests and tools without a database. */
    OutcomeStore IN_MEMORY = (run, proposed) -> CompletableFuture.completedFuture(proposed);

    /**
     * @param run the ending task
     * @param proposed the terminal event this instance proposes, with the id reserved for it
     * @return the outcome to publish: {@code proposed}, or the one already stored for the task
     */
    CompletionStage<Outcome> commit(TaskRun run, Outcome proposed);

    /** A terminal event and its stream id. */
    record Outcome(TaskEvent event, long eventId) {
        public Outcome {
            if (!event.terminal()) {
                throw new IllegalArgumentException(event.name() + " is not terminal");
            }
        }
    }
}
