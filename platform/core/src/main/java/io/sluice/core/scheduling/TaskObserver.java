package io.sluice.core.scheduling;

import io.sluice.core.config.FullPolicy;
import io.sluice.core.stream.TaskEvent;

/**
 * Hears what the scheduler does to tasks: persistence, metrics and structured logs hang off this. Called on
 * scheduler and engine I/O threads, never under a pool lock; implementations must be quick and must not
 * throw (an exception is logged and otherwise ignored so one observer cannot stall scheduling).
 */
public interface TaskObserver {
    /** The task entered its pool's queue. */
    default void onEnqueued(TaskRun run) {}

    /** The task was placed on a replica and its engine request sent. */
    default void onStarted(TaskRun run) {}

    /**
     * A running task was stopped mid-decode and put back in its queue to resume (SCH-5 hard preemption, ADR 0027).
     */
    default void onHardPreempted(TaskRun run) {}

    /** A task stopped by hard preemption was started again and continues its stream (SCH-5). */
    default void onResumed(TaskRun run) {}

    /** The task ended; {@code terminal} is its single terminal stream event. */
    default void onTerminal(TaskRun run, TaskEvent terminal, EndReason reason) {}

    /** A full queue answered with its backpressure policy (ADM-5). */
    default void onBackpressure(Pool pool, FullPolicy policy) {}

    /** Why a task ended, for {@code tasks_canceled_total{reason}} and logs. */
    enum EndReason {
        COMPLETED,
        ENGINE_ERROR,
        CLIENT_CANCEL,
        WATCHDOG,
        DROPPED,
        SHED,
        SHUTDOWN,
        /** The task would have crossed a session budget (SES-4). */
        BUDGET,
        /** The task's pool was drained and the drain's deadline passed (POOL-3). */
        DRAINED,
        /** Another instance resolved this instance's tasks after its lease expired (REL-5). */
        LEASE_LOST,
        /** An admin disabled the task's tenant while the task waited (SCH-3). */
        TENANT_DISABLED,
        /**
         * A higher-priority arrival evicted the waiting task from a full queue (SCH-5 soft preemption), or a task
         * stopped by hard preemption could not be resumed ({@link TaskRun#hardPreemptions()} tells which).
         */
        PREEMPTED,
        /**
         * The task was started while its admission record was committed, and the record was not written (ADR 0022):
         * the client was never told the task exists.
         */
        NOT_RECORDED
    }
}
