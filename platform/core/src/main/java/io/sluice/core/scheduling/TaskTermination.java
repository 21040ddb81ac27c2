package io.sluice.core.scheduling;

import io.sluice.core.engine.Generation;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.stream.TaskEvent;
import io.sluice.core.task.TaskState;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Ends tasks, exactly once each (REL-1). Ending is two steps: the stream is sealed and the task's queue place
 * or slot freed at once (so a cancel is race-free and the next task can start), then the outcome is made
 * durable through the {@link OutcomeStore} and only then published on the stream (REL-5). Thread-safe.
 */
final class TaskTermination {
    private static final Logger LOG = Logger.getLogger(TaskTermination.class);

    private final RunRegistry runs;
    private final OutcomeStore outcomes;
    private final Observers observers;
    private final Consumer<Pool> slotFreed;

    TaskTermination(RunRegistry runs, OutcomeStore outcomes, Observers observers, Consumer<Pool> slotFreed) {
        this.runs = runs;
        this.outcomes = outcomes;
        this.observers = observers;
        this.slotFreed = slotFreed;
    }

    /**
     * Ends a task with {@code terminal} unless it is already ending.
     *
     * @return whether this call ended the task (only the first caller wins)
     */
    boolean finish(TaskRun run, TaskEvent terminal, TaskObserver.EndReason reason) {
        long eventId = run.log().seal();
        if (eventId < 0) {
            return false;
        }
        Generation g = null;
        TenantUsage u = runs.usage(run.spec().tenantId());
        Pool pool;
        while (true) {
            pool = run.pool();
            synchronized (pool) {
                if (run.pool() != pool) {
                    continue; // a drain moved the waiting task to another pool meanwhile: lock that one
                }
                if (run.queueEntry() != null) {
                    pool.queue().remove(run.queueEntry());
                    run.queued(null);
                    u.queued.decrementAndGet();
                }
                if (pool.stopRunning(run) != null && run.replica() != null) {
                    run.replica().release();
                    g = run.generation();
                    u.running.decrementAndGet();
                }
            }
            break;
        }
        if (g != null && reason != TaskObserver.EndReason.COMPLETED) {
            g.cancel();
        }
        slotFreed.accept(pool);
        OutcomeStore.Outcome proposed = new OutcomeStore.Outcome(terminal, eventId);
        // An outcome is stored only on top of a durable admission record; a task whose record was never written
        // ends without one (ADR 0022).
        run.admission().then(recorded -> {
            if (recorded) {
                commitThenPublish(run, proposed, reason);
            } else {
                publish(run, proposed, reason);
            }
        });
        return true;
    }

    private void commitThenPublish(TaskRun run, OutcomeStore.Outcome proposed, TaskObserver.EndReason reason) {
        outcomes.commit(run, proposed).whenComplete((stored, err) -> {
            OutcomeStore.Outcome outcome = stored;
            if (err != null) {
                // The store retries transient failures itself; an exception here is a defect. The task still
                // needs its one terminal event, so the proposal is published and the defect logged loudly.
                LOG.errorf(err, "could not record the outcome of task %s; publishing it unrecorded", run.spec().taskId());
                outcome = proposed;
            }
            publish(run, outcome, reason);
        });
    }

    private void publish(TaskRun run, OutcomeStore.Outcome outcome, TaskObserver.EndReason reason) {
        TaskEvent event = outcome.event();
        SluiceError err = event instanceof TaskEvent.Failed f ? f.error() : null;
        TaskState state = err == null ? TaskState.SUCCEEDED : err.code() == ErrorCode.CANCELED ? TaskState.CANCELED : TaskState.FAILED;
        run.ended(state, err);
        run.log().publishTerminal(event, outcome.eventId());
        runs.ended(run);
        observers.each(o -> o.onTerminal(run, event, reason));
    }
}
