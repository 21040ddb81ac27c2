package io.sluice.core.engine;

/**
 * How a generation ended, as the engine itself reports it.
 *
 * <p>Token counts come from the engine's own counters, never from counting stream frames: llama.cpp holds a
 * frame back until a multi-byte UTF-8 character is complete, so frames undercount tokens.
 *
 * @param tokensOut tokens the engine reports it generated, or -1 when it does not tell
 * @param promptTokens prompt tokens the engine evaluated, or -1 when it does not tell
 * @param decodeMs engine-side decode time, or -1 when not reported
 * @param stopReason why decoding stopped
 * @param truncated whether the engine cut the input or output to fit its context (the answer is incomplete)
 */
public record GenerationOutcome(long tokensOut, long promptTokens, long decodeMs, StopReason stopReason, boolean truncated) {
    public GenerationOutcome {
        stopReason = stopReason == null ? StopReason.UNKNOWN : stopReason;
    }

    /** Why an engine stopped decoding. */
    public enum StopReason {
        /** The requested maximum number of tokens was reached. */
        MAX_TOKENS("max_tokens"),
        /** End of sequence or a stop word: the model finished. */
        STOP("stop"),
        /** The context window filled up before the requested maximum: the answer is cut short. */
        CONTEXT_LIMIT("context_limit"),
        /** The protocol did not say. */
        UNKNOWN("unknown");

        private final String wire;

        StopReason(String wire) {
            this.wire = wire;
        }

        /** snake_case name used in metrics events. */
        public String wire() {
            return wire;
        }
    }

    /** Whether the answer is cut short by the engine rather than ended by the model or by max_tokens. */
    public boolean incomplete() {
        return truncated || stopReason == StopReason.CONTEXT_LIMIT;
    }
}
