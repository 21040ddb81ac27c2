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
    private final int sessionTurns;
    /** Sessions with turns left and no task running: a task takes one, and gives it back when it ends. */
    private final Deque<Session> idleSessions = new ArrayDeque<>();

    SluiceTaskClient(HttpClient http, URI base, String token, int maxTokens, boolean submitOnly, long requestIdleTimeoutMs) {
        this(http, base, token, maxTokens, submitOnly, requestIdleTimeoutMs, 1);
    }

    /** @param sessionTurns tasks per session, one at a time; 1 for a fresh session per task */
    SluiceTaskClient(HttpClient http, URI base, String token, int maxTokens, boolean submitOnly, long requestIdleTimeoutMs,
            int sessionTurns) {
        this.sessionTurns = sessionTurns;
        this.http = http;
        this.base = base;
        this.authorization = "Bearer " + token;
        this.maxTokens = maxTokens;
        this.submitOnly = submitOnly;
        this.requestIdleTimeoutMs = requestIdleTimeoutMs;
    }

    @Override
    public Side side() {
        return sessionTurns > 1 ? Side.SESSIONS : Side.SLUICE;
    }

    /** Ids of the most recently accepted tasks (event-loop confined; read after the phase has drained). */
    List<String> lastAcceptedTaskIds() {
        return new ArrayList<>(lastAcceptedTaskIds);
    }

    static String taskBody(String taskId, String sessionId, int maxTokens) {
        // Session turns are capped, and a closed loop runs many tasks per client: a session lasts sessionTurns tasks.
        return "{\"task_id\":\"" + taskId + "\",\"session_id\":\"" + sessionId + "\",\"workload\":\"completion\","
                + "\"model_ref\":\"dev-tiny\",\"prompt\":\"Hello, Sluice\",\"max_tokens\":" + maxTokens
                + ",\"deadline_ms\":600000}";
    }

    /** A session the driver continues; {@code turns} counts the tasks it has admitted so far. */
    private static final class Session {
        final String id = UUID.randomUUID().toString();
        int turns;
    }

    @Override
    public void start(long sequence, TaskObserver observer) {
        String taskId = UUID.randomUUID().toString();
        Session session = idleSessions.isEmpty() ? new Session() : idleSessions.pollFirst();
        session.turns++;
        Buffer body = Buffer.buffer(taskBody(taskId, session.id, maxTokens));
        start(taskId, body, sessionTurns > 1 ? releasing(observer, session) : observer);
    }

    /** Gives the session back for its next turn once the task has ended, whichever way (event-loop confined). */
    private TaskObserver releasing(TaskObserver inner, Session session) {
        return new TaskObserver() {
            @Override
            public void submitted(long nanoTime) {
                inner.submitted(nanoTime);
            }

            @Override
            public void token(long nanoTime) {
                inner.token(nanoTime);
            }

            @Override
            public void ended(long nanoTime) {
                release();
                inner.ended(nanoTime);
            }

            @Override
            public void failed(long nanoTime, String errorKey) {
                release();
                inner.failed(nanoTime, errorKey);
            }

            private void release() {
                if (session.turns < sessionTurns) {
                    idleSessions.addLast(session);
                }
            }
        };
    }

    private void start(String taskId, Buffer body, TaskObserver observer) {
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
