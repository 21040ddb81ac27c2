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
        /**
         * The section headers declare more than the compile budget allows (functions, largest function body,
         * code size: {@link PolicyLimits#maxFunctions()} and the following limits); refused before compiling.
         */
        TOO_COMPLEX,
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
        FIXTURE_FAILED;

        /**
         * True if the refusal follows from the module bytes alone, under fixed limits, so that the same bytes
         * will always be refused the same way and need not be compiled again (ADR 0025). Fixture failures
         * depend on the fixtures and {@code describe} failures may be a timeout on a loaded machine; a full
         * compile queue is {@link #COMPILE_TIMEOUT} but reported through {@link PolicyValidationException#retriable()}.
         */
        public boolean followsFromBytes() {
            return this != FIXTURE_FAILED && this != DESCRIBE_FAILED;
        }
    }

    /** Ends the message of a refusal answered from memory, without parsing or compiling the bytes (POL-9). */
    public static final String REFUSED_BEFORE = " (these bytes were refused before; not compiled again)";

    private final Reason reason;
    private final boolean retriable;

    public PolicyValidationException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.retriable = false;
    }

    /**
     * A refusal that says nothing about the module (the host was too busy to compile it now): never remembered.
     */
    public static PolicyValidationException busy(Reason reason, String message) {
        return new PolicyValidationException(reason, message, true);
    }

    private PolicyValidationException(Reason reason, String message, boolean retriable) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.retriable = retriable;
    }

    /** True if the same bytes may be accepted later (the host was busy), so the refusal must not be remembered. */
    public boolean retriable() {
        return retriable;
    }

    /** True if every later upload of the same bytes may be refused the same way without compiling them again. */
    public boolean remembered() {
        return !retriable && reason.followsFromBytes();
    }

    public PolicyValidationException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.retriable = false;
    }

    public Reason reason() {
        return reason;
    }
}
