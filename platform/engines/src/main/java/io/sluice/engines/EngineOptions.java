package io.sluice.engines;

import java.time.Duration;

/**
 * Per-replica settings of an engine adapter beyond its kind, URL and model.
 *
 * @param apiKey secret the engine was started with ({@code --api-key}), sent as {@code Authorization: Bearer};
 *     {@code null} sends none. Never logged: {@link #toString()} masks it.
 * @param streamIdleTimeout longest a stream may stay silent before the adapter gives up with DECODE_TIMEOUT
 *     and aborts the request; a backstop for the scheduler's own watchdog, so a hung engine never holds a
 *     connection for ever
 * @param chat vLLM only: use {@code /v1/chat/completions} (the prompt becomes one user message, the model's
 *     chat template applies) instead of {@code /v1/completions}
 */
public record EngineOptions(String apiKey, Duration streamIdleTimeout, boolean chat) {
    public static final Duration DEFAULT_STREAM_IDLE_TIMEOUT = Duration.ofMinutes(5);
    public static final EngineOptions DEFAULTS = new EngineOptions(null, null, false);

    public EngineOptions {
        apiKey = apiKey == null || apiKey.isEmpty() ? null : apiKey;
        streamIdleTimeout = streamIdleTimeout == null ? DEFAULT_STREAM_IDLE_TIMEOUT : streamIdleTimeout;
        if (streamIdleTimeout.isNegative() || streamIdleTimeout.isZero()) {
            throw new IllegalArgumentException("stream idle timeout must be positive");
        }
    }

    public EngineOptions withApiKey(String key) {
        return new EngineOptions(key, streamIdleTimeout, chat);
    }

    public EngineOptions withStreamIdleTimeout(Duration d) {
        return new EngineOptions(apiKey, d, chat);
    }

    public EngineOptions withChat(boolean c) {
        return new EngineOptions(apiKey, streamIdleTimeout, c);
    }

    // Records print every component; the key must not reach logs through a debug print.
    @Override
    public String toString() {
        return "EngineOptions[apiKey=" + (apiKey == null ? "none" : "***") + ", streamIdleTimeout=" + streamIdleTimeout
                + ", chat=" + chat + "]";
    }
}
