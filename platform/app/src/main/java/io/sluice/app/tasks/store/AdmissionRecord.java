package io.sluice.app.tasks.store;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * What admission makes durable for one accepted task (REL-2), in one statement with the session's turn (SES-1).
 *
 * @param eventIdBound the largest stream event id the task can reach (see {@code TaskRun.maxEventId})
 * @param tokensBudget token budget of the session when this task creates it (SES-4); null = unbounded
 * @param timeBudgetMs time budget of the session when this task creates it; null = unbounded
 * @param costBudget cost budget of the session when this task creates it; null = unbounded
 * @param maxTokens the task's max_tokens: what its admission reserves of its session's token budget (ADR 0035)
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
        long eventIdBound,
        Long tokensBudget,
        Long timeBudgetMs,
        Double costBudget,
        int maxTokens) {
}
