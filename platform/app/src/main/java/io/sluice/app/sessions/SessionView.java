package io.sluice.app.sessions;

/** The contract's {@code Session} (SES-1, SES-4); budget members are absent when unbounded. */
public record SessionView(
        String sessionId,
        long ttlMsRemaining,
        int turns,
        int maxTurns,
        long kvBytes,
        boolean kvWarmth,
        String replicaId,
        Long tokensBudgetRemaining,
        Long timeBudgetRemainingMs,
        Double costBudgetRemaining) {}
