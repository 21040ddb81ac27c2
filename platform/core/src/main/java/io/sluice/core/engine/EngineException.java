package io.sluice.core.engine;

import io.sluice.core.error.ErrorCode;

/**
 * An engine failure already mapped to the typed error it surfaces as (WORKER_RESET, POOL_UNREADY,
 * INVALID_PARAMS for a request the engine rejected...). Whether the platform may retry it elsewhere follows
 * {@link ErrorCode#retriable()}.
 *
 * <p>The message is safe to show to the task's owner: adapters put the engine's own explanation in it but
 * never the prompt, and never a credential.
 */
public class EngineException extends RuntimeException {
    private final ErrorCode code;
    private final int engineStatus;
    private final String engineErrorType;

    public EngineException(ErrorCode code, String message) {
        this(code, message, -1, null, null);
    }

    public EngineException(ErrorCode code, String message, Throwable cause) {
        this(code, message, -1, null, cause);
    }

    /**
     * @param engineStatus HTTP status the engine answered, or -1 (connection failure, mid-stream error)
     * @param engineErrorType the engine's own error type (llama.cpp {@code exceed_context_size_error}, TGI
     *     {@code validation}...), or {@code null}
     */
    public EngineException(ErrorCode code, String message, int engineStatus, String engineErrorType, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.engineStatus = engineStatus;
        this.engineErrorType = engineErrorType;
    }

    public ErrorCode code() {
        return code;
    }

    /** HTTP status the engine answered, or -1. */
    public int engineStatus() {
        return engineStatus;
    }

    /** The engine's error type when it names one, else {@code null}. */
    public String engineErrorType() {
        return engineErrorType;
    }
}
