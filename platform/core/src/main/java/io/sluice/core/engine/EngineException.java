package io.sluice.core.engine;

import io.sluice.core.error.ErrorCode;

/** An engine failure already mapped to the typed error it surfaces as (WORKER_RESET, POOL_UNREADY...). */
public class EngineException extends RuntimeException {
    private final ErrorCode code;

    public EngineException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public EngineException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
