package io.sluice.core.scheduling;

import io.sluice.core.task.Priority;
import java.util.EnumMap;

/**
 * Exponentially weighted moving averages of a pool's measured service (SPEC SCH-4, ADR 0015): how long a task
 * occupies a slot, how long one token takes, and how far the queue waits that were predicted missed the waits
 * that were measured, per priority. Thread-safe.
 */
public final class ServiceEstimator {
    /** Weight of a new sample; 0.2 follows load changes within a handful of tasks without jitter. */
    private static final double ALPHA = 0.2;
    /** Assumed slot occupancy before anything was measured. */
    private static final double DEFAULT_TASK_MS = 1_000;
    /** Waits shorter than this on both sides say nothing about the model's error, only about timer noise. */
    private static final long CALIBRATION_FLOOR_MS = 100;
    /** Bounds of the wait correction: one odd task must not make the pool look idle or hopeless. */
    private static final double MIN_CORRECTION = 0.5;
    private static final double MAX_CORRECTION = 4.0;

    private double taskMs = DEFAULT_TASK_MS;
    private double msPerToken = -1;
    private long samples;
    private final EnumMap<Priority, Double> waitCorrection = new EnumMap<>(Priority.class);

    public synchronized void record(long occupiedMs, long tokens, long decodeMs) {
        taskMs = samples == 0 ? occupiedMs : ALPHA * occupiedMs + (1 - ALPHA) * taskMs;
        if (tokens > 0) {
            double perToken = (double) decodeMs / tokens;
            msPerToken = msPerToken < 0 ? perToken : ALPHA * perToken + (1 - ALPHA) * msPerToken;
        }
        samples++;
    }

    /**
     * A task of {@code priority} started after waiting {@code waitedMs}, where {@code predictedMs} was predicted
     * without correction: the ratio feeds the correction later predictions get. Later arrivals of a heavier flow
     * overtake a waiting task under fair queuing, which no snapshot of the queue can foresee; this learns how much.
     */
    public synchronized void recordWait(Priority priority, long predictedMs, long waitedMs) {
        if (Math.max(predictedMs, waitedMs) < CALIBRATION_FLOOR_MS || msPerToken < 0) {
            return;
        }
        double ratio = Math.max(MIN_CORRECTION, Math.min(MAX_CORRECTION,
                (double) Math.max(waitedMs, 1) / Math.max(predictedMs, CALIBRATION_FLOOR_MS)));
        waitCorrection.merge(priority, ratio, (old, r) -> ALPHA * r + (1 - ALPHA) * old);
    }

    /** The factor predicted waits of a priority are multiplied by; 1 until a wait was measured. */
    public synchronized double waitCorrection(Priority priority) {
        return waitCorrection.getOrDefault(priority, 1.0);
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
