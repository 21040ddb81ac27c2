package io.sluice.core.engine;

/**
 * Receives one generation's stream, in order, from the adapter's I/O thread. Implementations must not
 * block.
 */
public interface GenerationListener {
    /** The engine accepted the request and began decoding. */
    default void onStarted() {}

    void onToken(String text);

    /**
     * @param tokensOut tokens the engine reports it produced
     * @param decodeMs engine-side decode time when reported, else -1
     */
    void onEnd(long tokensOut, long decodeMs);

    /**
     * The generation ended normally; carries the engine's own token counts and why it stopped. Adapters call
     * this one; the default keeps listeners written against {@link #onEnd(long, long)} working.
     */
    default void onEnd(GenerationOutcome outcome) {
        onEnd(outcome.tokensOut(), outcome.decodeMs());
    }

    void onError(EngineException error);
}
