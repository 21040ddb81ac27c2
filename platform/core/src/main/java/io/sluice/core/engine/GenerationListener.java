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

    void onError(EngineException error);
}
