package io.sluice.core.scheduling;

import java.util.ArrayDeque;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Whether a task's admission record is durable, and what waits for it. A task may be started on an engine while its
 * record is still being committed (ADR 0022): the engine's prefill then overlaps the commit. Until the record is
 * durable, everything the run would make observable or durable — the start transition, the {@code metrics} and
 * {@code token} events, the terminal outcome — waits here, in arrival order; once it is, the waiting actions run in
 * that order on the resolving thread and later ones run at once. When the record could not be written, the waiting
 * actions are told so and the run is ended without a trace.
 *
 * <p>A run admitted the ordinary way (record first, then queue) is resolved before it is queued, so its actions never
 * wait. Thread-safe. Actions must not be handed in under a pool lock: they may take one while the gate is held.
 */
public final class AdmissionGate {
    private static final Logger LOG = Logger.getLogger(AdmissionGate.class);
    private static final int PENDING = 0;
    private static final int RECORDED = 1;
    private static final int NOT_RECORDED = 2;

    private volatile int state = PENDING;
    /** Actions waiting for the outcome, oldest first; guarded by {@code this}. */
    private ArrayDeque<Consumer<Boolean>> waiting;

    /** Whether the record is known durable: the per-token fast path, one volatile read. */
    public boolean recorded() {
        return state == RECORDED;
    }

    /** Whether the outcome is still unknown. */
    public boolean pending() {
        return state == PENDING;
    }

    /**
     * Runs {@code action} with {@code true} once the record is durable or {@code false} if it will never be: at once
     * when that is known, else after every action handed in before it.
     */
    public void then(Consumer<Boolean> action) {
        int s = state;
        if (s == PENDING) {
            synchronized (this) {
                s = state;
                if (s == PENDING) {
                    if (waiting == null) {
                        waiting = new ArrayDeque<>(8);
                    }
                    waiting.add(action);
                    return;
                }
            }
        }
        action.accept(s == RECORDED);
    }

    /**
     * Settles the outcome and runs the waiting actions in order. An action that hands in another (on this thread)
     * has it run in turn; other threads wait until every waiting action has run, so no later action overtakes them.
     *
     * @return false when the outcome was already settled (the call changed nothing)
     */
    synchronized boolean resolve(boolean recorded) {
        if (state != PENDING) {
            return false;
        }
        if (waiting != null) {
            Consumer<Boolean> next;
            while ((next = waiting.poll()) != null) {
                try {
                    next.accept(recorded);
                } catch (RuntimeException e) {
                    // One failing action must not strand the ones behind it (a terminal outcome among them).
                    LOG.errorf(e, "an action waiting for a task's admission record failed");
                }
            }
            waiting = null;
        }
        state = recorded ? RECORDED : NOT_RECORDED;
        return true;
    }
}
