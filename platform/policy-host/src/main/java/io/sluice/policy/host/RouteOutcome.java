package io.sluice.policy.host;

import java.util.List;
import java.util.Objects;

/**
 * Result of one {@code route} call: either a validated order or an error, never both.
 *
 * @param order preferred replica ids, a non-empty duplicate-free subset of the candidates; empty on error
 * @param error why no order was produced, {@code null} on success
 * @param policy the module that was called
 * @param latencyNanos wall time of the evaluation as seen by the caller
 * @param logs guest log lines of this call, bounded by {@link PolicyLimits#logBytesPerCall()}
 */
public record RouteOutcome(List<String> order, PolicyError error, PolicyRef policy, long latencyNanos, List<String> logs) {

    public RouteOutcome {
        Objects.requireNonNull(policy, "policy");
        order = order == null ? List.of() : List.copyOf(order);
        if (order.isEmpty() == (error == null)) {
            throw new IllegalArgumentException("exactly one of a non-empty order and error must be set");
        }
        logs = List.copyOf(logs);
    }

    public boolean isError() {
        return error != null;
    }

    /** Lower-case outcome label: {@code ordered} or {@code error}. */
    public String outcomeLabel() {
        return isError() ? "error" : "ordered";
    }
}
