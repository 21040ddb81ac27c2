package io.sluice.core.error;

/**
 * A typed error as the API reports it: in an HTTP error body, a terminal {@code error} stream event or a
 * task's status. Optional fields are {@code null} when unknown.
 *
 * @param code stable code
 * @param message human readable, never containing secrets or prompt text (SEC-4)
 * @param retriable whether a retry may succeed
 * @param field JSON path of the offending request field (INVALID_PARAMS)
 * @param engine engine involved, when known
 * @param poolId pool involved, when known
 * @param retryAfterMs suggested wait before retrying
 * @param policyLabel backpressure policy that answered (reject, drop-lru, shed-low-priority)
 * @param stage admission step that rejected the request
 * @param policy the tenant policy that decided (POLICY_DENIED / POLICY_ERROR)
 * @param fitsAtMs for DEADLINE_UNMET: milliseconds from now at which the task would fit
 */
public record SluiceError(
        ErrorCode code,
        String message,
        boolean retriable,
        String field,
        String engine,
        String poolId,
        Long retryAfterMs,
        String policyLabel,
        AdmissionStage stage,
        PolicyRef policy,
        Long fitsAtMs) {

    /** Identity of the policy version that produced a decision. */
    public record PolicyRef(String name, String version, String digest) {}

    public static SluiceError of(ErrorCode code, String message) {
        return new SluiceError(code, message, code.retriable(), null, null, null, null, null, null, null, null);
    }

    public SluiceError withField(String newField) {
        return new SluiceError(code, message, retriable, newField, engine, poolId, retryAfterMs, policyLabel, stage, policy, fitsAtMs);
    }

    public SluiceError withEngine(String newEngine, String newPoolId) {
        return new SluiceError(code, message, retriable, field, newEngine, newPoolId, retryAfterMs, policyLabel, stage, policy, fitsAtMs);
    }

    public SluiceError withRetryAfter(Long ms) {
        return new SluiceError(code, message, retriable, field, engine, poolId, ms, policyLabel, stage, policy, fitsAtMs);
    }

    public SluiceError withPolicyLabel(String label) {
        return new SluiceError(code, message, retriable, field, engine, poolId, retryAfterMs, label, stage, policy, fitsAtMs);
    }

    public SluiceError withStage(AdmissionStage newStage) {
        return new SluiceError(code, message, retriable, field, engine, poolId, retryAfterMs, policyLabel, newStage, policy, fitsAtMs);
    }

    public SluiceError withPolicy(PolicyRef ref) {
        return new SluiceError(code, message, retriable, field, engine, poolId, retryAfterMs, policyLabel, stage, ref, fitsAtMs);
    }

    public SluiceError withFitsAt(Long ms) {
        return new SluiceError(code, message, retriable, field, engine, poolId, retryAfterMs, policyLabel, stage, policy, ms);
    }
}
