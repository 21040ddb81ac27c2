package io.sluice.app.tasks;

import io.sluice.app.http.ErrorBody;
import java.time.OffsetDateTime;

/** Request and answer bodies of the task operations, as the contract names them (snake_case on the wire). */
public final class TaskDtos {
    private TaskDtos() {}

    /** {@code TaskAccepted}. */
    public record TaskAccepted(String taskId, long queuePosition, long predictedStartMs, long backoffMs) {}

    /** {@code TaskPolicyDecision}. */
    public record PolicyDecision(String name, String version, String digest, String decision) {}

    /** {@code TaskStatus}. */
    public record TaskStatus(
            String taskId,
            String sessionId,
            String state,
            String workload,
            String modelRef,
            String engine,
            String poolId,
            String replicaId,
            String priority,
            Long queuePosition,
            Long predictedStartMs,
            OffsetDateTime createdAt,
            OffsetDateTime startedAt,
            OffsetDateTime endedAt,
            long tokensOut,
            ErrorBody error,
            PolicyDecision policy) {}

    /** {@code TaskPage}. */
    public record TaskPage(java.util.List<TaskStatus> items, String nextCursor) {}

    /** SSE payloads. */
    public record StartedPayload(long queuePosition, long predictedStartMs, String poolId, String replicaId, String engine) {}

    public record TokenPayload(String t, long i) {}

    public record EndPayload(long tokensOut, long decodeMs) {}
}
