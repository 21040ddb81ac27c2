package io.sluice.core.error;

/**
 * The stable error codes of the Sluice API (SPEC ADM-7). Each code has exactly one HTTP status, fixed in
 * the OpenAPI contract; codes that only ever end a stream ({@link #streamOnly()}) carry the status a
 * client would see if it were ever surfaced synchronously.
 *
 * <p>Codes are part of the public contract: never rename one, only add.
 */
public enum ErrorCode {
    INVALID_PARAMS(400, false, false),
    UNAUTHENTICATED(401, false, false),
    FORBIDDEN(403, false, false),
    POLICY_DENIED(403, false, false),
    NOT_FOUND(404, false, false),
    CONFLICT(409, false, false),
    MODEL_DEPRECATED(410, false, false),
    UNTRUSTED_ARTIFACT(422, false, false),
    DEADLINE_UNMET(429, true, false),
    ADMISSION_REJECT(429, true, false),
    QUOTA_EXCEEDED(429, true, false),
    INTERNAL(500, true, false),
    NOT_IMPLEMENTED(501, false, false),
    POOL_UNREADY(503, true, false),
    POOL_UNAVAILABLE(503, true, false),
    REPLICA_EXHAUSTED(503, true, false),
    POLICY_ERROR(503, true, false),
    /** A dependency the platform needs for this request (its database, the instance running the task) is unreachable. */
    DEPENDENCY_UNAVAILABLE(503, true, false),
    /**
     * A session budget (tokens, time or cost, SES-4) is used up: at admission the task is refused; a running task
     * that would cross it ends at that token with this code in its {@code error} event.
     */
    SESSION_BUDGET_EXHAUSTED(409, false, false),
    DECODE_TIMEOUT(504, true, true),
    WORKER_RESET(502, true, true),
    CANCELED(409, false, true),
    PREEMPTED(409, true, true),
    QUEUE_FULL_DROP_LRU(429, true, true),
    QUEUE_FULL_SHED(429, true, true);

    private final int httpStatus;
    private final boolean retriable;
    private final boolean streamOnly;

    ErrorCode(int httpStatus, boolean retriable, boolean streamOnly) {
        this.httpStatus = httpStatus;
        this.retriable = retriable;
        this.streamOnly = streamOnly;
    }

    /** HTTP status of a synchronous answer carrying this code. */
    public int httpStatus() {
        return httpStatus;
    }

    /** Whether retrying the same request later may succeed. */
    public boolean retriable() {
        return retriable;
    }

    /** Whether the code only appears in terminal {@code error} stream events and task status. */
    public boolean streamOnly() {
        return streamOnly;
    }
}
