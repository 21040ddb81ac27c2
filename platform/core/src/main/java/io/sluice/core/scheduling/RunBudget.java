package io.sluice.core.scheduling;

/**
 * What one run may still spend of its session's budgets (SES-4), fixed when its admission was recorded: the session's
 * remaining budgets then. {@code null} limits are unbounded. Cost is counted in configured units per prompt token
 * (estimated at admission) and per generated token.
 *
 * <p>Several tasks of one session running at once each see the whole remainder; the session's usage may then end
 * above its budget by what they spent together, and its next task is refused at admission.
 *
 * @param tokens generated tokens this run may emit
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
