package io.sluice.app.tasks;

import io.sluice.app.http.ErrorBody;
import io.sluice.core.task.TaskRequest;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/** Request and answer bodies of the task operations, as the contract names them (snake_case on the wire). */
public final class TaskDtos {
    private TaskDtos() {}

    /**
     * {@code TaskRequest}. Enums are strings and numbers are wide here on purpose: validation in core names the
     * offending field with its allowed values instead of a generic type error.
     */
    public record TaskRequestBody(
            String taskId,
            String sessionId,
            String workload,
            String modelRef,
            String engine,
            Long ctx,
            String priority,
            Long seed,
            String determinism,
            String samplerProfileVersion,
            String prompt,
            List<String> inputs,
            Long maxTokens,
            Long deadlineMs,
            Long expectedTokens,
            String kvHint,
            Boolean override,
            Map<String, String> labels) {

        TaskRequest toCore() {
            return new TaskRequest(taskId, sessionId, workload, modelRef, engine, ctx, priority, seed, determinism,
                    samplerProfileVersion, prompt, inputs, maxTokens, deadlineMs, expectedTokens, kvHint, override, labels);
        }
    }

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

    /** SSE payloads. */
    public record StartedPayload(long queuePosition, long predictedStartMs, String poolId, String replicaId, String engine) {}

    public record TokenPayload(String t, long i) {}

    public record EndPayload(long tokensOut, long decodeMs) {}
}
