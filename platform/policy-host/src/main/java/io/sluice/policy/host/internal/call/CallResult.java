package io.sluice.policy.host.internal.call;

import io.sluice.policy.host.PolicyError;
import io.sluice.policy.host.PolicyErrorKind;
import io.sluice.policy.host.PolicyValidationException.Reason;
import java.util.List;

/**
 * Result of one guest call: a checked value, or an error.
 *
 * @param invalidReason for an invalid {@code describe} output at upload, the refusal reason; else null
 */
public record CallResult<T>(T value, PolicyError error, Reason invalidReason, List<String> logs) {
    static <T> CallResult<T> error(PolicyErrorKind kind, String message, List<String> logs) {
        return new CallResult<>(null, new PolicyError(kind, message), null, logs);
    }
}
