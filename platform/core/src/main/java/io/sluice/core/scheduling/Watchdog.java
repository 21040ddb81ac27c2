package io.sluice.core.scheduling;

import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.stream.TaskEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Ends running tasks that exceed their pool's wall time or go without a token for its idle time (SCH-7) with
 * {@code DECODE_TIMEOUT}; ending frees the slot and aborts the engine request. Ticked by the scheduler's timer.
 */
final class Watchdog {
    private final PoolRegistry pools;
    private final TaskTermination termination;

    Watchdog(PoolRegistry pools, TaskTermination termination) {
        this.pools = pools;
        this.termination = termination;
    }

    void tick() {
        long now = System.nanoTime();
        for (Pool pool : pools.pools()) {
            long wallNs = TimeUnit.MILLISECONDS.toNanos(pool.config().watchdog().wallMs());
            long idleNs = TimeUnit.MILLISECONDS.toNanos(pool.config().watchdog().idleMs());
            List<TaskRun> expired = new ArrayList<>();
            synchronized (pool) {
                for (TaskRun run : pool.runningTasks().values()) {
                    if (now - run.startedNanos() > wallNs || now - run.lastTokenNanos() > idleNs) {
                        expired.add(run);
                    }
                }
            }
            for (TaskRun run : expired) {
                boolean wall = now - run.startedNanos() > wallNs;
                SluiceError err = SluiceError.of(ErrorCode.DECODE_TIMEOUT, wall
                                ? "task exceeded the pool's wall time of " + pool.config().watchdog().wallMs() + " ms"
                                : "no token for " + pool.config().watchdog().idleMs() + " ms")
                        .withEngine(pool.engine().wire(), pool.id());
                termination.finish(run, new TaskEvent.Failed(err), TaskObserver.EndReason.WATCHDOG);
            }
        }
    }
}
