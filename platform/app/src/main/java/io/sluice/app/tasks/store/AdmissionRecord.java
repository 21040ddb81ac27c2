package io.sluice.app.tasks.store;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * What admission makes durable for one accepted task (REL-2), in one statement with the session's turn (SES-1).
 *
 * @param eventIdBound the largest stream event id the task can reach (see {@code TaskRun.maxEventId})
 */
public record AdmissionRecord(
        UUID taskId,
        UUID sessionId,
        String tenantId,
        String fingerprint,
        String requestJson,
        String workload,
        String modelRef,
        String engine,
        String priority,
        String poolId,
        int queuePosition,
        long predictedStartMs,
        long backoffMs,
        OffsetDateTime createdAt,
        String policyName,
        String policyVersion,
        String policyDigest,
        String policyDecision,
        String ownerInstance,
        long eventIdBound) {}
