package io.sluice.core.scheduling;

/**
 * What a pool predicts for a task arriving now (SCH-4, ADR 0015), in milliseconds from now.
 *
 * @param startMs until decoding starts, corrected by the measured error of earlier predictions
 * @param completionMs until the task ends: start plus its expected tokens at the measured rate
 * @param idleCompletionMs how long the task alone would take on an idle pool
 * @param uncorrectedStartMs the start before correction, what the correction learns from
 * @param measured whether the pool has measured enough completions to predict at all
 * @param waitingOnlyCompletionMs completion counting only the work waiting now, without later arrivals that overtake the
 *     task and without correction: a lower bound, which a {@code DEADLINE_UNMET} refusal relies on (ADR 0029)
 */
public record Prediction(long startMs, long completionMs, long idleCompletionMs, long uncorrectedStartMs, boolean measured,
        long waitingOnlyCompletionMs) {}
