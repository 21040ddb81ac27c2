package io.sluice.app.sessions;

/**
 * A session as its admission statement saw it (SES-3, SES-4): budgets left (null = unbounded) and the replica that
 * served it last (null = none yet).
 */
public record SessionFigures(Long tokensRemaining, Long timeRemainingMs, Double costRemaining, String lastReplicaId) {

    /** The same figures with another token remainder (one task's share of a batch, ADR 0035). */
    public SessionFigures withTokensRemaining(Long tokens) {
        return new SessionFigures(tokens, timeRemainingMs, costRemaining, lastReplicaId);
    }
}
