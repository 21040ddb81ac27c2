package io.sluice.benchmarks.fairness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.benchmarks.fairness.FairnessAnalysis.TaskTrace;
import io.sluice.benchmarks.load.SseFrameParser;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Closed-loop clients per flow through the task API: each submits a task ({@code POST /v1/tasks}), reads its stream
 * until {@code end}, and submits the next. What each task went through is kept as a {@link TaskTrace}. Everything
 * runs on one Vert.x event loop, so the traces need no lock; the result is handed over through a future.
 */
final class FairnessLoad {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Pause after a refused or failed task, so that a refusing server is not spun against. */
    private static final long ERROR_BACKOFF_MS = 50;

    /** A flow's clients: its tenant's bearer token and the task priority. */
    record FlowClients(String token, String priority, int clients) {}

    /** What the run produced once the clients stopped. */
    record Outcome(List<TaskTrace> traces, Map<String, Long> errors) {}

    private final Context context;
    private final HttpClient http;
    private final URI base;
    private final int maxTokens;
    private final long stopNanos;
    private final long thinkMs;
    private final List<Trace> traces = new ArrayList<>();
    private final Map<String, Long> errors = new TreeMap<>();
    private final CompletableFuture<Outcome> done = new CompletableFuture<>();
    private int activeClients;

    private FairnessLoad(Context context, HttpClient http, URI base, int maxTokens, long stopNanos, long thinkMs) {
        this.thinkMs = thinkMs;
        this.context = context;
        this.http = http;
        this.base = base;
        this.maxTokens = maxTokens;
        this.stopNanos = stopNanos;
    }

    /**
     * Starts every client at once (a fairness run wants every queue backlogged from the start); no task is submitted
     * after {@code stopNanos}, and the outcome is complete then: tasks still waiting are traced as not started.
     *
     * @param thinkMs pause of a client between the end of its task and its next submit (0: none); a client that pauses
     *     may leave its flow's queue empty, which is what a fairness run must tell apart from unfairness
     */
    static CompletableFuture<Outcome> run(Context context, HttpClient http, URI base, int maxTokens, List<FlowClients> flows,
            long stopNanos, long thinkMs) {
        FairnessLoad load = new FairnessLoad(context, http, base, maxTokens, stopNanos, thinkMs);
        context.runOnContext(v -> load.begin(flows));
        return load.done;
    }

    private void begin(List<FlowClients> flows) {
        for (int f = 0; f < flows.size(); f++) {
            for (int c = 0; c < flows.get(f).clients(); c++) {
                activeClients++;
                int flow = f;
                // Spread over the first 200 ms so that the submits do not arrive as one burst of connection setups.
                context.owner().setTimer(1 + (c * 200L) / Math.max(1, flows.get(f).clients()), t -> next(flow, flows.get(flow)));
            }
        }
        long untilStop = Math.max(1, (stopNanos - System.nanoTime()) / 1_000_000);
        context.owner().setTimer(untilStop, t -> finish());
    }

    private void finish() {
        if (done.isDone()) {
            return;
        }
        List<TaskTrace> out = new ArrayList<>(traces.size());
        for (Trace t : traces) {
            if (t.acceptedNanos > 0) {
                out.add(new TaskTrace(t.flow, t.pool, t.acceptedNanos, t.startNanos, t.predictedStartMs, t.measuredStartMs));
            }
        }
        done.complete(new Outcome(out, new TreeMap<>(errors)));
    }

    private void next(int flow, FlowClients client) {
        if (done.isDone() || System.nanoTime() >= stopNanos) {
            activeClients--;
            return;
        }
        Trace trace = new Trace(flow);
        traces.add(trace);
        String taskId = UUID.randomUUID().toString();
        Buffer body = Buffer.buffer("{\"task_id\":\"" + taskId + "\",\"session_id\":\"" + UUID.randomUUID() + "\",\"workload\":\"completion\","
                + "\"model_ref\":\"dev-tiny\",\"prompt\":\"Hello, Sluice\",\"max_tokens\":" + maxTokens + ",\"priority\":\""
                + client.priority() + "\",\"deadline_ms\":3600000}");
        http.request(options(HttpMethod.POST, "/v1/tasks", client.token())
                        .putHeader("Content-Type", "application/json")
                        .putHeader("Accept", "application/json"))
                .compose(req -> req.send(body))
                .compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), b)))
                .onComplete(ar -> {
                    if (ar.failed()) {
                        failed(flow, client, "POST " + ar.cause().getClass().getSimpleName());
                        return;
                    }
                    if (ar.result().status() != 202) {
                        failed(flow, client, "POST " + ar.result().status() + " " + code(ar.result().body()));
                        return;
                    }
                    trace.acceptedNanos = System.nanoTime();
                    trace.predictedStartMs = json(ar.result().body()).path("predicted_start_ms").asLong(-1);
                    stream(taskId, trace, flow, client);
                });
    }

    private void stream(String taskId, Trace trace, int flow, FlowClients client) {
        boolean[] over = {false};
        http.request(options(HttpMethod.GET, "/v1/tasks/" + taskId + "/stream", client.token()).putHeader("Accept", "text/event-stream"))
                .compose(req -> req.send())
                .onComplete(ar -> {
                    if (ar.failed()) {
                        failed(flow, client, "GET " + ar.cause().getClass().getSimpleName());
                        return;
                    }
                    HttpClientResponse resp = ar.result();
                    if (resp.statusCode() != 200) {
                        resp.body().onComplete(b -> failed(flow, client, "GET " + resp.statusCode()));
                        return;
                    }
                    SseFrameParser parser = new SseFrameParser(frame -> {
                        if (over[0]) {
                            return;
                        }
                        switch (frame.event()) {
                            case "started" -> trace.pool = json(frame.data()).path("pool_id").asText(null);
                            case "metrics" -> {
                                JsonNode m = json(frame.data());
                                // The first start only: a resumed task (SCH-5) was dispatched before.
                                if (trace.startNanos < 0 && "running".equals(m.path("state").asText()) && m.has("queue_time_ms")) {
                                    trace.measuredStartMs = m.path("queue_time_ms").asLong();
                                    // The server's clock for the wait; the client's for when it began (the 202 came
                                    // a round trip after the admission the wait is measured from).
                                    trace.startNanos = trace.acceptedNanos + trace.measuredStartMs * 1_000_000L;
                                }
                            }
                            case "end" -> {
                                over[0] = true;
                                if (thinkMs > 0) {
                                    context.owner().setTimer(thinkMs, t -> next(flow, client));
                                } else {
                                    next(flow, client);
                                }
                            }
                            case "error" -> {
                                over[0] = true;
                                failed(flow, client, "stream error " + json(frame.data()).path("code").asText("?"));
                            }
                            default -> {
                                // tokens: nothing to measure here
                            }
                        }
                    });
                    resp.handler(chunk -> parser.feed(chunk.getBytes()));
                    resp.exceptionHandler(e -> {
                        if (!over[0]) {
                            over[0] = true;
                            failed(flow, client, "stream " + e.getClass().getSimpleName());
                        }
                    });
                    resp.endHandler(v -> {
                        if (!over[0]) {
                            over[0] = true;
                            failed(flow, client, "stream closed before end");
                        }
                    });
                });
    }

    private void failed(int flow, FlowClients client, String key) {
        if (done.isDone()) {
            return;
        }
        errors.merge(key, 1L, Long::sum);
        context.owner().setTimer(ERROR_BACKOFF_MS, t -> next(flow, client));
    }

    private RequestOptions options(HttpMethod method, String path, String token) {
        return new RequestOptions()
                .setMethod(method)
                .setHost(base.getHost())
                .setPort(base.getPort())
                .setURI(path)
                .setIdleTimeout(600_000)
                .putHeader("Authorization", "Bearer " + token);
    }

    private static JsonNode json(Buffer body) {
        return json(body.toString());
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            return JSON.missingNode();
        }
    }

    private static String code(Buffer body) {
        return json(body).path("code").asText("(no code)");
    }

    private record Answer(int status, Buffer body) {}

    /** A task in flight, filled in as its answers and frames arrive (event-loop confined). */
    private static final class Trace {
        final int flow;
        long acceptedNanos;
        long startNanos = -1;
        long predictedStartMs = -1;
        long measuredStartMs = -1;
        String pool;

        Trace(int flow) {
            this.flow = flow;
        }
    }
}
