package io.sluice.benchmarks.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;

/**
 * A generation through Sluice's OpenAI-compatible facade (ADM-9): one streamed {@code POST /v1/completions}, read
 * until {@code data: [DONE]} — what code written for the OpenAI API does. Each chunk that carries text is a token;
 * there is no separate submit call, so the time to first token includes the admission.
 */
final class OpenAiTaskClient implements TaskClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final URI base;
    private final String authorization;
    private final int maxTokens;
    private final long requestIdleTimeoutMs;

    OpenAiTaskClient(HttpClient http, URI base, String token, int maxTokens, long requestIdleTimeoutMs) {
        this.http = http;
        this.base = base;
        this.authorization = "Bearer " + token;
        this.maxTokens = maxTokens;
        this.requestIdleTimeoutMs = requestIdleTimeoutMs;
    }

    @Override
    public Side side() {
        return Side.OPENAI;
    }

    static String body(int maxTokens) {
        return "{\"model\":\"" + LocalStack.MODEL + "\",\"prompt\":\"Hello, Sluice\",\"max_tokens\":" + maxTokens + ",\"stream\":true}";
    }

    @Override
    public void start(long sequence, TaskObserver observer) {
        RequestOptions post = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost(base.getHost())
                .setPort(base.getPort())
                .setURI("/v1/completions")
                .setIdleTimeout(requestIdleTimeoutMs)
                .putHeader("Authorization", authorization)
                .putHeader("Content-Type", "application/json")
                .putHeader("Accept", "text/event-stream");
        boolean[] finished = {false};
        http.request(post).compose(req -> req.send(Buffer.buffer(body(maxTokens)))).onComplete(ar -> {
            if (ar.failed()) {
                observer.failed(System.nanoTime(), "POST " + SluiceTaskClient.transportError(ar.cause()));
                return;
            }
            HttpClientResponse resp = ar.result();
            if (resp.statusCode() != 200) {
                resp.body().onComplete(b -> observer.failed(System.nanoTime(),
                        "POST " + resp.statusCode() + " " + (b.succeeded() ? errorCode(b.result()) : "")));
                return;
            }
            SseFrameParser parser = new SseFrameParser(frame -> {
                if (finished[0]) {
                    return;
                }
                long now = System.nanoTime();
                String data = frame.data();
                if ("[DONE]".equals(data)) {
                    finished[0] = true;
                    observer.ended(now);
                } else if (data.startsWith("{\"error\"")) {
                    finished[0] = true;
                    observer.failed(now, "stream error " + errorCode(Buffer.buffer(data)));
                } else if (carriesText(data)) {
                    observer.token(now);
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
                    observer.failed(System.nanoTime(), "stream closed before [DONE]");
                }
            });
        });
    }

    /**
     * Whether a completion chunk carries text, read by substring as the direct side reads llama.cpp frames: the
     * driver shares the cores with the app, so it parses as little as it can.
     */
    static boolean carriesText(String chunk) {
        int at = chunk.indexOf("\"text\":\"");
        return at >= 0 && at + 8 < chunk.length() && chunk.charAt(at + 8) != '"';
    }

    /** The OpenAI error body's {@code error.code} (or {@code type}), or a marker when the body is not one. */
    static String errorCode(Buffer body) {
        try {
            JsonNode error = JSON.readTree(body.getBytes()).path("error");
            JsonNode code = error.path("code");
            return code.isTextual() ? code.asText() : error.path("type").asText("(no code)");
        } catch (Exception e) {
            return "(not JSON)";
        }
    }
}
