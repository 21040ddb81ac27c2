package io.sluice.core.scheduling;

/**
 * What one run may still spend of its session's budgets (SES-4), fixed when its admission was recorded: the session's
 * remaining budgets then. {@code null} limits are unbounded. Cost is counted in configured units per prompt token
 * (estimated at admission) and per generated token.
 *
 * <p>The token budget holds when several tasks of one session run at once, on one instance or several (ADR 0035):
 * each admission reserves the task's max_tokens out of what neither the session's usage nor the reservations of its
 * other unfinished tasks hold, and {@code tokens} is what was left to this task then — so the tokens the session's
 * tasks stream together never exceed its budget, and a task that found the budget fully reserved ends at its first
 * token. Time and cost are still checked against the remainder each task saw at admission: concurrent tasks of one
 * session may together overshoot those by what they spent at once, and the session's next task is then refused.
 *
 * @param tokens generated tokens this run may emit: the session's tokens left to it at admission, its reservation's bound
 * @param timeMs decode milliseconds this run may use
 * @param cost cost units this run may use (its prompt included)
 * @param costPerPromptToken cost of one prompt token
 * @param costPerOutputToken cost of one generated token
 */
public record RunBudget(Long tokens, Long timeMs, Double cost, double costPerPromptToken, double costPerOutputToken) {

    /** Cost of a run with {@code promptTokens} of prompt after {@code tokensOut} generated tokens. */
    public double costOf(long promptTokens, long tokensOut) {
        return promptTokens * costPerPromptToken + tokensOut * costPerOutputToken;
    }

    /** Whether any budget bounds the run. */
    public boolean bounded() {
        return tokens != null || timeMs != null || cost != null;
    }

    /**
     * Which budget token number {@code tokensOut} (counting from 1) would cross after {@code decodeMs} of decoding, or
     * null when it stays within every budget.
     */
    public String crossedBy(long promptTokens, long tokensOut, long decodeMs) {
        if (tokens != null && tokensOut > tokens) {
            return "tokens";
        }
        if (timeMs != null && decodeMs > timeMs) {
            return "time";
        }
        if (cost != null && costOf(promptTokens, tokensOut) > cost) {
            return "cost";
        }
        return null;
    }
}
