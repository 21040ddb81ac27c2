package io.sluice.policy.host;

import java.util.Objects;

/**
 * An uploaded module was refused. The message is meant for the tenant who uploaded it: it names the
 * offending import, export, field, fixture or limit.
 */
public final class PolicyValidationException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Stable machine-readable reason, for the REST error body. */
    public enum Reason {
        /** Larger than {@link PolicyLimits#moduleBytes()}. */
        TOO_LARGE,
        /** Not a WebAssembly binary, or malformed/invalid. */
        NOT_WASM,
        /** Imports something other than the Extism kernel, Extism logging or the permitted WASI subset. */
        FORBIDDEN_IMPORT,
        /** Lacks {@code describe} or every hook export, or an export has the wrong signature. */
        MISSING_EXPORT,
        /** Declares more initial memory than {@link PolicyLimits#memoryBytes()}. */
        MEMORY_TOO_LARGE,
        /** A function is too large to compile to one JVM method; the interpreter fallback is refused. */
        NEEDS_INTERPRETER,
        /** Compilation did not finish within {@link PolicyLimits#compileTimeout()}. */
        COMPILE_TIMEOUT,
        /** Instantiation or {@code describe} failed (trap, timeout, memory). */
        DESCRIBE_FAILED,
        /** {@code describe} output is not valid JSON or does not match the schema. */
        DESCRIBE_INVALID,
        /** {@code abi_version} is not supported by this host. */
        UNSUPPORTED_ABI,
        /** {@code describe} declares a hook the module does not export. */
        HOOKS_MISMATCH,
        /** A tenant-supplied fixture did not produce the expected result. */
        FIXTURE_FAILED
    }

    private final Reason reason;

    public PolicyValidationException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public PolicyValidationException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
