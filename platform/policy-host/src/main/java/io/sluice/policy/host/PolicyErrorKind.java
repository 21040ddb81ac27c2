package io.sluice.policy.host;

import java.util.Locale;

/**
 * Why a policy call produced no decision. Every guest failure maps to exactly one kind; the kinds are
 * the {@code kind} label of {@code policy_errors_total}, so the set is closed and small.
 *
 * <p>An output larger than {@link PolicyLimits#outputBytes()} is reported as {@link #INVALID_OUTPUT}
 * (with a message naming the size): for the platform a too-large output is one more way of not
 * answering with a valid decision, and keeping it in that kind keeps the metric's label set the one
 * fixed by the specification.
 */
public enum PolicyErrorKind {
    /** The call ran longer than {@link PolicyLimits#callTimeout()} (or instantiation did not finish). */
    TIMEOUT,
    /** The guest trapped, overflowed its stack, called {@code proc_exit} or returned a non-zero code. */
    TRAP,
    /** Guest linear memory plus Extism kernel allocations went past {@link PolicyLimits#memoryBytes()}. */
    MEMORY,
    /** Output too large, not JSON, not matching the schema, or loosening the request. */
    INVALID_OUTPUT,
    /**
     * The host refused to run the call: the tenant's concurrency bound was reached and no slot freed
     * within {@link PolicyLimits#queueTimeout()}, the hook is not declared by the module, or the host is
     * closed. The guest did not run.
     */
    REJECTED;

    /** Lower-case label value used in metrics and logs. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
