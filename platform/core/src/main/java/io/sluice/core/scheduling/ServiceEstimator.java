package io.sluice.core.scheduling;

/**
 * Exponentially weighted moving averages of a pool's measured service (SPEC SCH-4): how long a task
 * occupies a slot and how long one token takes. Thread-safe.
 */
public final class ServiceEstimator {
    /** Weight of a new sample; 0.2 follows load changes within a handful of tasks without jitter. */
    private static final double ALPHA = 0.2;
    /** Assumed slot occupancy before anything was measured. */
    private static final double DEFAULT_TASK_MS = 1_000;

    private double taskMs = DEFAULT_TASK_MS;
    private double msPerToken = -1;
    private long samples;

    public synchronized void record(long occupiedMs, long tokens, long decodeMs) {
        taskMs = samples == 0 ? occupiedMs : ALPHA * occupiedMs + (1 - ALPHA) * taskMs;
        if (tokens > 0) {
            double perToken = (double) decodeMs / tokens;
            msPerToken = msPerToken < 0 ? perToken : ALPHA * perToken + (1 - ALPHA) * msPerToken;
        }
        samples++;
    }

    public synchronized double taskMs() {
        return taskMs;
    }

    /** Measured milliseconds per output token, or -1 before the first measurement. */
    public synchronized double msPerToken() {
        return msPerToken;
    }

    public synchronized long samples() {
        return samples;
    }

    /** Predicted wait before a task at {@code position} starts, given the pool's ready and free slots. */
    public synchronized long predictStartMs(long position, int readySlots, int freeSlots) {
        if (readySlots <= 0) {
            return (long) taskMs;
        }
        long waitingRounds = Math.max(0, position - freeSlots + 1);
        return (long) Math.ceil((double) waitingRounds / readySlots * taskMs);
    }
}
