package io.sluice.policy.host;

import java.util.List;

/**
 * One policy evaluation, as handed to {@link PolicyTelemetry}. Carries everything POL-6 asks to log;
 * it never contains the prompt or the raw input.
 *
 * @param tenantId tenant whose policy ran
 * @param taskId task the decision is about ({@code request.task_id}), may be {@code null} if the input had none
 * @param policy name, version and digest of the module
 * @param hook {@code admit} or {@code route}
 * @param outcome {@code allow}, {@code deny}, {@code modify}, {@code ordered} or {@code error}
 * @param errorKind set when {@code outcome} is {@code error}
 * @param reason the policy's reason, or the error message
 * @param latencyNanos evaluation wall time
 * @param logs bounded guest log lines
 */
public record DecisionRecord(
        String tenantId,
        String taskId,
        PolicyRef policy,
        Hook hook,
        String outcome,
        PolicyErrorKind errorKind,
        String reason,
        long latencyNanos,
        List<String> logs) {

    public DecisionRecord {
        logs = List.copyOf(logs);
    }

    /** Latency in seconds, the unit of {@code policy_eval_seconds}. */
    public double latencySeconds() {
        return latencyNanos / 1e9;
    }
}
