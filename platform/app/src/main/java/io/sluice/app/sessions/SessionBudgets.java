package io.sluice.app.sessions;

import io.sluice.app.config.SluiceAppConfig;
import io.sluice.core.scheduling.RunBudget;
import io.sluice.core.task.TaskRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.Response;

/**
 * Session budgets (SES-4): which limits a new session gets (the creating task's {@code session_budget}, else the
 * configured defaults), what a run may spend (the remainder its admission statement read), and the {@code X-Budget-*}
 * headers of the admission answer. Pure functions of configuration; no I/O.
 */
@ApplicationScoped
public class SessionBudgets {
    public static final String TOKENS_HEADER = "X-Budget-Tokens-Remaining";
    public static final String TIME_HEADER = "X-Budget-Time-Remaining-Ms";
    public static final String COST_HEADER = "X-Budget-Cost-Remaining";

    @Inject
    SluiceAppConfig config;

    /** Limits for the session this task would create: {tokens, time_ms, cost}, each null when unbounded. */
    public Limits limitsFor(TaskRequest body) {
        TaskRequest.SessionBudget b = body.sessionBudget();
        if (b != null) {
            return new Limits(b.tokens(), b.timeMs(), b.cost());
        }
        SluiceAppConfig.Sessions s = config.sessions();
        return new Limits(s.tokensBudget().orElse(null), s.timeBudgetMs().orElse(null), s.costBudget().orElse(null));
    }

    /** Budget limits of a new session; null members are unbounded. */
    public record Limits(Long tokens, Long timeMs, Double cost) {}

    /** What a run may spend: the session's remainder as admission read it (cost rates always, for accounting). */
    public RunBudget runBudget(SessionFigures figures) {
        double perPrompt = config.sessions().costPer1kPromptTokens() / 1000.0;
        double perOutput = config.sessions().costPer1kOutputTokens() / 1000.0;
        if (figures == null) {
            return new RunBudget(null, null, null, perPrompt, perOutput);
        }
        return new RunBudget(nonNegative(figures.tokensRemaining()), nonNegative(figures.timeRemainingMs()),
                figures.costRemaining() == null ? null : Math.max(0.0, figures.costRemaining()), perPrompt, perOutput);
    }

    /** Adds the {@code X-Budget-*} headers of the bounded budgets (SES-4); unbounded ones are absent. */
    public static Response.ResponseBuilder headers(Response.ResponseBuilder r, SessionFigures figures) {
        if (figures == null) {
            return r;
        }
        if (figures.tokensRemaining() != null) {
            r.header(TOKENS_HEADER, Math.max(0, figures.tokensRemaining()));
        }
        if (figures.timeRemainingMs() != null) {
            r.header(TIME_HEADER, Math.max(0, figures.timeRemainingMs()));
        }
        if (figures.costRemaining() != null) {
            r.header(COST_HEADER, costHeaderValue(figures.costRemaining()));
        }
        return r;
    }

    /** The {@code X-Budget-Cost-Remaining} value of a remainder: never negative, six decimals at most. */
    public static String costHeaderValue(double remaining) {
        return Double.toString(round(Math.max(0.0, remaining)));
    }

    static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }

    private static Long nonNegative(Long v) {
        return v == null ? null : Math.max(0L, v);
    }
}
