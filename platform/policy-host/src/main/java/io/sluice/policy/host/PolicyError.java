package io.sluice.policy.host;

import java.util.Objects;

/**
 * A failed policy call: the kind and a human-readable message. Messages describe what the guest did
 * (never host internals such as stack traces) and are safe to show to the tenant that owns the policy.
 */
public record PolicyError(PolicyErrorKind kind, String message) {
    public PolicyError {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(message, "message");
    }
}
