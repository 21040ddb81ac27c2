package io.sluice.benchmarks.load;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;

/**
 * The baseline: the same generation sent straight to the engine's llama.cpp protocol ({@code POST /completion}
 * with {@code stream: true}), with the body Sluice's llama.cpp adapter sends, so that the difference between
 * the two sides is what Sluice adds.
 */
final class DirectEngineClient implements TaskClient {
    private final HttpClient http;
    private final URI engine;
    private final int maxTokens;
    private final long requestIdleTimeoutMs;
    private final Side side;

    DirectEngineClient(HttpClient http, URI engine, int maxTokens, long requestIdleTimeoutMs) {
        this(Side.DIRECT, http, engine, maxTokens, requestIdleTimeoutMs);
    }

    /** @param side {@link Side#RELAY} when {@code engine} is a {@link StreamRelay} in front of the engine */
    DirectEngineClient(Side side, HttpClient http, URI engine, int maxTokens, long requestIdleTimeoutMs) {
        this.side = side;
        this.http = http;
        this.engine = engine;
        this.maxTokens = maxTokens;
        this.requestIdleTimeoutMs = requestIdleTimeoutMs;
    }

    @Override
    public Side side() {
        return side;
    }

    static String completionBody(long seed, int maxTokens) {
        return "{\"prompt\":\"Hello, Sluice\",\"n_predict\":" + maxTokens + ",\"seed\":" + seed
                + ",\"stream\":true,\"cache_prompt\":true}";
    }

    /**
     * Classifies one llama.cpp stream frame: a token, the final frame ({@code stop: true}, no token text, as in
     * the real server), or neither. A substring test rather than a JSON parse: the engine writes compact JSON,
     * and the driver's own CPU is taken from the same two cores as the system it measures.
     */
    static FrameKind classify(String data) {
        if (data.contains("\"stop\":true")) {
            return FrameKind.END;
        }
        return data.contains("\"content\"") ? FrameKind.TOKEN : FrameKind.OTHER;
    }

    enum FrameKind {
        TOKEN,
        END,
        OTHER
    }

    @Override
    public void start(long sequence, TaskObserver observer) {
        RequestOptions post = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost(engine.getHost())
                .setPort(engine.getPort())
                .setURI("/completion")
                .setIdleTimeout(requestIdleTimeoutMs)
                .putHeader("Content-Type", "application/json")
                .putHeader("Accept", "text/event-stream");
        // Seeds stay within llama.cpp's 32-bit range, where 0xFFFFFFFF means "random".
        Buffer body = Buffer.buffer(completionBody(sequence % 0xFFFF_FFFEL, maxTokens));
        boolean[] finished = {false};
        http.request(post).compose(req -> req.send(body)).onComplete(ar -> {
            if (ar.failed()) {
                observer.failed(System.nanoTime(), "POST " + SluiceTaskClient.transportError(ar.cause()));
                return;
            }
            HttpClientResponse resp = ar.result();
            if (resp.statusCode() != 200) {
                resp.body().onComplete(b -> observer.failed(System.nanoTime(), "POST " + resp.statusCode() + " engine"));
                return;
            }
            SseFrameParser parser = new SseFrameParser(frame -> {
                if (finished[0]) {
                    return;
                }
                long now = System.nanoTime();
                switch (classify(frame.data())) {
                    case TOKEN -> observer.token(now);
                    case END -> {
                        finished[0] = true;
                        observer.ended(now);
                    }
                    case OTHER -> {}
                }
            });
            resp.handler(chunk -> parser.feed(chunk.getBytes()));
            resp.exceptionHandler(e -> {
                if (!finished[0]) {
                    finished[0] = true;
                    observer.failed(System.nanoTime(), "stream " + SluiceTaskClient.transportError(e));
                }
            });
            resp.endHandler(v -> {
                if (!finished[0]) {
                    finished[0] = true;
                    observer.failed(System.nanoTime(), "stream closed before stop");
                }
            });
        });
    }
}
