package io.sluice.enginesim.internal;

/** Why a request is refused before (or instead of) generating; each protocol renders its own error. */
public enum Failure {
    /** The model is still loading (load_ms or slow_start). */
    LOADING,
    /** The model failed to load (refuse_load) or is unloaded (Triton). */
    UNAVAILABLE,
    /** All slots busy and the wait queue full, or the wait timed out. */
    OVERLOADED,
    /** Injected http_5xx fault. */
    INTERNAL,
    /** Malformed or invalid request. */
    BAD_REQUEST,
    /** The request names a model this instance does not serve. */
    MODEL_NOT_FOUND
}
