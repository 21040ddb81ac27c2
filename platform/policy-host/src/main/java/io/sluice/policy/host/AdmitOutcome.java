package io.sluice.policy.host;

import java.util.List;
import java.util.Objects;

/**
 * Result of one {@code admit} call: either a validated decision or an error, never both.
 *
 * @param decision the decision, {@code null} when {@link #error()} is set
 * @param reason the policy's reason (may be empty), {@code null} on error
 * @param modifications non-empty exactly when {@code decision == MODIFY}, otherwise {@link Modifications#NONE}
 * @param error why no decision was produced, {@code null} on success
 * @param policy the module that was called
 * @param latencyNanos wall time of the evaluation as seen by the caller (queueing, copying, guest, validation)
 * @param logs guest log lines of this call, bounded by {@link PolicyLimits#logBytesPerCall()}
 */
public record AdmitOutcome(
        AdmitDecision decision,
        String reason,
        Modifications modifications,
        PolicyError error,
        PolicyRef policy,
        long latencyNanos,
        List<String> logs) {

    public AdmitOutcome {
        Objects.requireNonNull(policy, "policy");
        if ((decision == null) == (error == null)) {
            throw new IllegalArgumentException("exactly one of decision and error must be set");
        }
        modifications = modifications == null ? Modifications.NONE : modifications;
        logs = List.copyOf(logs);
    }

    public boolean isError() {
        return error != null;
    }

    public boolean isAllowed() {
        return decision == AdmitDecision.ALLOW;
    }

    public boolean isDenied() {
        return decision == AdmitDecision.DENY;
    }

    public boolean isModified() {
        return decision == AdmitDecision.MODIFY;
    }

    /** Lower-case outcome label: {@code allow}, {@code deny}, {@code modify} or {@code error}. */
    public String outcomeLabel() {
        return isError() ? "error" : decision.wireName();
    }
}
