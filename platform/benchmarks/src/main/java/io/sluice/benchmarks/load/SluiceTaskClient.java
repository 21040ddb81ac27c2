package io.sluice.benchmarks.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.UUID;

/**
 * A task through Sluice: {@code POST /v1/tasks}, then {@code GET /v1/tasks/{id}/stream} until {@code end} —
 * what a client of the platform does. With {@code submitOnly} the task counts as done at the {@code 202}
 * (the admissions scenario), and the last accepted ids are kept for a check that those tasks do end.
 */
final class SluiceTaskClient implements TaskClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int KEPT_TASK_IDS = 200;

    private final HttpClient http;
    private final URI base;
    private final String authorization;
    private final int maxTokens;
    private final boolean submitOnly;
    private final long requestIdleTimeoutMs;
    private final Deque<String> lastAcceptedTaskIds = new ArrayDeque<>();

    SluiceTaskClient(HttpClient http, URI base, String token, int maxTokens, boolean submitOnly, long requestIdleTimeoutMs) {
        this.http = http;
        this.base = base;
        this.authorization = "Bearer " + token;
        this.maxTokens = maxTokens;
        this.submitOnly = submitOnly;
        this.requestIdleTimeoutMs = requestIdleTimeoutMs;
    }

    @Override
    public Side side() {
        return Side.SLUICE;
    }

    /** Ids of the most recently accepted tasks (event-loop confined; read after the phase has drained). */
    List<String> lastAcceptedTaskIds() {
        return new ArrayList<>(lastAcceptedTaskIds);
    }

    static String taskBody(String taskId, String sessionId, int maxTokens) {
        // A fresh session per task: session turns are capped, and a closed loop runs many tasks per client.
        return "{\"task_id\":\"" + taskId + "\",\"session_id\":\"" + sessionId + "\",\"workload\":\"completion\","
                + "\"model_ref\":\"dev-tiny\",\"prompt\":\"Hello, Sluice\",\"max_tokens\":" + maxTokens
                + ",\"deadline_ms\":600000}";
    }

    @Override
    public void start(long sequence, TaskObserver observer) {
        String taskId = UUID.randomUUID().toString();
        Buffer body = Buffer.buffer(taskBody(taskId, UUID.randomUUID().toString(), maxTokens));
        RequestOptions post = options(HttpMethod.POST, "/v1/tasks")
                .putHeader("Content-Type", "application/json")
                .putHeader("Accept", "application/json");
        http.request(post)
                .compose(req -> req.send(body))
                .compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), b)))
                .onComplete(ar -> {
                    long now = System.nanoTime();
                    if (ar.failed()) {
                        observer.failed(now, "POST " + transportError(ar.cause()));
                        return;
                    }
                    Answer answer = ar.result();
                    if (answer.status() != 202) {
                        observer.failed(now, "POST " + answer.status() + " " + errorCode(answer.body()));
                        return;
                    }
                    observer.submitted(now);
                    if (submitOnly) {
                        remember(taskId);
                        observer.ended(now);
                    } else {
                        stream(taskId, observer);
                    }
                });
    }

    private void stream(String taskId, TaskObserver observer) {
        RequestOptions get = options(HttpMethod.GET, "/v1/tasks/" + taskId + "/stream").putHeader("Accept", "text/event-stream");
        // Exactly one outcome per task, whatever mix of frames, end of body and exceptions arrives.
        boolean[] finished = {false};
        http.request(get).compose(req -> req.send()).onComplete(ar -> {
            if (ar.failed()) {
                observer.failed(System.nanoTime(), "GET " + transportError(ar.cause()));
                return;
            }
            HttpClientResponse resp = ar.result();
            if (resp.statusCode() != 200) {
                resp.body().onComplete(b -> observer.failed(
                        System.nanoTime(), "GET " + resp.statusCode() + " " + (b.succeeded() ? errorCode(b.result()) : "")));
                return;
            }
            SseFrameParser parser = new SseFrameParser(frame -> {
                if (finished[0]) {
                    return;
                }
                long now = System.nanoTime();
                switch (frame.event()) {
                    case "token" -> observer.token(now);
                    case "end" -> {
                        finished[0] = true;
                        observer.ended(now);
                    }
                    case "error" -> {
                        finished[0] = true;
                        observer.failed(now, "stream error " + errorCode(Buffer.buffer(frame.data())));
                    }
                    default -> {
                        // started and metrics carry nothing the driver measures
                    }
                }
            });
            resp.handler(chunk -> parser.feed(chunk.getBytes()));
            resp.exceptionHandler(e -> {
                if (!finished[0]) {
                    finished[0] = true;
                    observer.failed(System.nanoTime(), "stream " + transportError(e));
                }
            });
            resp.endHandler(v -> {
                if (!finished[0]) {
                    finished[0] = true;
                    observer.failed(System.nanoTime(), "stream closed before end");
                }
            });
        });
    }

    private RequestOptions options(HttpMethod method, String path) {
        return new RequestOptions()
                .setMethod(method)
                .setHost(base.getHost())
                .setPort(base.getPort())
                .setURI(path)
                .setIdleTimeout(requestIdleTimeoutMs)
                .putHeader("Authorization", authorization);
    }

    private void remember(String taskId) {
        lastAcceptedTaskIds.addLast(taskId);
        if (lastAcceptedTaskIds.size() > KEPT_TASK_IDS) {
            lastAcceptedTaskIds.removeFirst();
        }
    }

    private record Answer(int status, Buffer body) {}

    /** The typed error code of a Sluice error body, or a marker when the body is not one. */
    static String errorCode(Buffer body) {
        try {
            JsonNode code = JSON.readTree(body.getBytes()).path("code");
            return code.isTextual() ? code.asText() : "(no code)";
        } catch (Exception e) {
            return "(not JSON)";
        }
    }

    static String transportError(Throwable t) {
        String name = t.getClass().getSimpleName();
        return t.getMessage() != null && t.getMessage().contains("timeout") ? name + " (timeout)" : name;
    }
}
