package io.sluice.enginesim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.enginesim.EngineKind;
import io.sluice.enginesim.Fault;
import io.sluice.enginesim.InstanceSpec;
import io.sluice.enginesim.SimStats;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One simulated engine instance: its own Vert.x with a single event loop, an HTTP server on one port,
 * the slot table, the wait queue, model state, armed faults and counters.
 *
 * <p>Threading: all mutable state is confined to the one event-loop thread. Calls from other threads
 * ({@link #stats()}, {@link #armFault(Fault)}, ...) hop onto it and wait for the answer.
 */
public final class SimEngine {

    /** How a generation that held a slot ended. */
    enum Outcome {
        COMPLETED,
        ABORTED,
        FAULTED
    }

    /** What health endpoints report. */
    public enum Health {
        READY,
        LOADING,
        UNAVAILABLE
    }

    private enum Phase {
        READY,
        UNLOADED,
        FAILED
    }

    private static final long CALL_TIMEOUT_SECONDS = 10;
    /**
     * How many prompts {@code GET /sim/prompts} keeps: enough for a test to find the prompt its request produced, so
     * that what a gateway sends (its chat template, ADR 0037) is checked at the engine, not only at the gateway.
     */
    private static final int RECENT_PROMPTS = 64;

    private final InstanceSpec spec;
    private final Vertx vertx;
    private final Context context;
    private final EngineApi api;
    private final long startedEpochSeconds = System.currentTimeMillis() / 1000;
    private HttpServer server;
    private int port;
    private final AtomicBoolean stopped = new AtomicBoolean();

    private Phase phase = Phase.READY;
    private long loadingUntilNanos;
    private long slowStartUntilNanos;
    private String unavailableReason = "";

    private final Generation[] slots;
    private final ArrayDeque<Generation> waiting = new ArrayDeque<>();

    private Fault generationFault = Fault.NONE;
    private int generationFaultRemaining;
    private Fault refuseLoad = Fault.NONE;
    private int refuseLoadRemaining;

    private int taskSeq;
    private long requestSeq;
    /** Prompts of the last generation requests, oldest first, for {@code GET /sim/prompts}. */
    private final ArrayDeque<String> recentPrompts = new ArrayDeque<>();
    private long completed;
    private long aborted;
    private long faulted;
    private long rejected;
    private long tokensGenerated;
    private long promptTokensTotal;
    private double promptSecondsTotal;
    private double predictedSecondsTotal;
    private long decodeCalls;
    private long busySlotsAtDecode;

    private SimEngine(InstanceSpec spec) {
        this.spec = spec;
        this.slots = new Generation[spec.slots()];
        VertxOptions options = new VertxOptions()
                .setEventLoopPoolSize(1)
                .setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1)
                .setFileSystemOptions(new FileSystemOptions()
                        .setFileCachingEnabled(false)
                        .setClassPathResolvingEnabled(false));
        this.vertx = Vertx.vertx(options);
        this.context = vertx.getOrCreateContext();
        this.api = switch (spec.engine()) {
            case LLAMACPP -> new LlamaCppApi(this);
            case VLLM -> new VllmApi(this);
            case TGI -> new TgiApi(this);
            case TRITON -> new TritonApi(this);
        };
    }

    /**
     * Starts an instance and waits until it listens.
     *
     * @throws IllegalStateException if the port cannot be bound within 10 s
     */
    public static SimEngine start(InstanceSpec spec) {
        SimEngine engine = new SimEngine(spec);
        try {
            engine.call(() -> {
                engine.initialState();
                return null;
            });
            CompletableFuture<Integer> bound = new CompletableFuture<>();
            engine.context.runOnContext(v -> {
                HttpServerOptions opts = new HttpServerOptions()
                        .setHost(spec.host())
                        .setPort(spec.port())
                        // Engines speak HTTP/1.1 only; an h2c upgrade would change how cancel and crash look.
                        .setHttp2ClearTextEnabled(false)
                        .setCompressionSupported(false)
                        .setHandle100ContinueAutomatically(true)
                        .setIdleTimeout(0);
                engine.server = engine.vertx.createHttpServer(opts).requestHandler(engine::onRequest);
                engine.server.listen().onComplete(ar -> {
                    if (ar.succeeded()) {
                        bound.complete(ar.result().actualPort());
                    } else {
                        bound.completeExceptionally(ar.cause());
                    }
                });
            });
            engine.port = bound.get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return engine;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            engine.stop();
            throw new IllegalStateException("interrupted while starting " + spec.engine().id(), e);
        } catch (ExecutionException | TimeoutException e) {
            engine.stop();
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("cannot listen on " + spec.host() + ":" + spec.port() + " for "
                    + spec.engine().id() + ": " + cause.getMessage(), cause);
        }
    }

    private void initialState() {
        loadingUntilNanos = spec.loadMs() > 0 ? System.nanoTime() + spec.loadMs() * 1_000_000 : 0;
        Fault f = spec.fault();
        switch (f.mode()) {
            case NONE -> {}
            case SLOW_START -> slowStartUntilNanos = System.nanoTime() + f.delayMs() * 1_000_000;
            case REFUSE_LOAD -> {
                refuseLoad = f;
                refuseLoadRemaining = f.count();
                // The initial load is the first load attempt and fails.
                consumeRefuseLoad();
                phase = Phase.FAILED;
                unavailableReason = "failed to load '" + spec.model() + "': simulated refuse_load fault";
            }
            default -> {
                generationFault = f;
                generationFaultRemaining = f.count();
            }
        }
    }

    /** Stops the server and Vert.x; in-flight connections are closed. Idempotent. */
    public void stop() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        try {
            if (server != null) {
                call(() -> {
                    for (Generation g : slots) {
                        if (g != null) {
                            g.cancelTimers();
                        }
                    }
                    for (Generation g : waiting) {
                        g.cancelTimers();
                    }
                    return null;
                });
            }
            vertx.close().toCompletionStage().toCompletableFuture().get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | IllegalStateException e) {
            // Vert.x already closed or slow to close: nothing else to release.
        }
    }

    public InstanceSpec spec() {
        return spec;
    }

    public int port() {
        return port;
    }

    public Vertx vertx() {
        return vertx;
    }

    public long startedEpochSeconds() {
        return startedEpochSeconds;
    }

    /** Path that llama.cpp and vLLM report for the model; it carries the digest. */
    public String modelPath() {
        return "/models/" + spec.model() + "-" + spec.digest();
    }

    // ---------------------------------------------------------------- cross-thread API

    public SimStats stats() {
        return call(this::statsNow);
    }

    public void armFault(Fault fault) {
        call(() -> {
            armNow(fault);
            return null;
        });
    }

    public void clearFaults() {
        call(() -> {
            clearNow();
            return null;
        });
    }

    private <T> T call(Supplier<T> action) {
        if (Vertx.currentContext() == context) {
            return action.get();
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        context.runOnContext(v -> {
            try {
                result.complete(action.get());
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        try {
            return result.get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("event loop of " + spec.engine().id() + " did not answer", e);
        }
    }

    void runLater(Runnable r) {
        context.runOnContext(v -> r.run());
    }

    // ---------------------------------------------------------------- event-loop state

    SimStats statsNow() {
        int active = 0;
        for (Generation g : slots) {
            if (g != null) {
                active++;
            }
        }
        return new SimStats(active, waiting.size(), completed, aborted, faulted, rejected, slots.length,
                tokensGenerated);
    }

    public Health health() {
        if (phase != Phase.READY) {
            return Health.UNAVAILABLE;
        }
        long now = System.nanoTime();
        if ((loadingUntilNanos != 0 && now - loadingUntilNanos < 0)
                || (slowStartUntilNanos != 0 && now - slowStartUntilNanos < 0)) {
            return Health.LOADING;
        }
        return Health.READY;
    }

    public String unavailableReason() {
        return unavailableReason;
    }

    public boolean unloaded() {
        return phase == Phase.UNLOADED;
    }

    private void armNow(Fault fault) {
        switch (fault.mode()) {
            case NONE -> clearNow();
            case SLOW_START -> slowStartUntilNanos = System.nanoTime() + fault.delayMs() * 1_000_000;
            case REFUSE_LOAD -> {
                refuseLoad = fault;
                refuseLoadRemaining = fault.count();
                if (spec.engine() != EngineKind.TRITON) {
                    // Engines other than Triton load once at start: a refused load leaves them unhealthy.
                    phase = Phase.FAILED;
                    unavailableReason = "failed to load '" + spec.model() + "': simulated refuse_load fault";
                }
            }
            default -> {
                generationFault = fault;
                generationFaultRemaining = fault.count();
            }
        }
    }

    private void clearNow() {
        generationFault = Fault.NONE;
        generationFaultRemaining = 0;
        refuseLoad = Fault.NONE;
        refuseLoadRemaining = 0;
        slowStartUntilNanos = 0;
        if (phase == Phase.FAILED && spec.engine() != EngineKind.TRITON) {
            phase = Phase.READY;
            unavailableReason = "";
        }
    }

    private Fault takeGenerationFault() {
        if (generationFault.mode() == Fault.Mode.NONE) {
            return null;
        }
        Fault f = generationFault;
        if (generationFaultRemaining > 0 && --generationFaultRemaining == 0) {
            generationFault = Fault.NONE;
        }
        return f;
    }

    private boolean consumeRefuseLoad() {
        if (refuseLoad.mode() != Fault.Mode.REFUSE_LOAD) {
            return false;
        }
        if (refuseLoadRemaining > 0 && --refuseLoadRemaining == 0) {
            refuseLoad = Fault.NONE;
        }
        return true;
    }

    /**
     * Triton's load: fails while refuse_load is armed, else the model is loading for load_ms and then
     * ready. {@code done} is called with null on success or the error message.
     */
    void loadModel(Consumer<String> done) {
        if (consumeRefuseLoad()) {
            phase = Phase.FAILED;
            unavailableReason = "failed to load '" + spec.model() + "': simulated refuse_load fault";
            done.accept(unavailableReason);
            return;
        }
        phase = Phase.READY;
        unavailableReason = "";
        if (spec.loadMs() <= 0) {
            loadingUntilNanos = 0;
            done.accept(null);
            return;
        }
        loadingUntilNanos = System.nanoTime() + spec.loadMs() * 1_000_000;
        vertx.setTimer(spec.loadMs(), t -> done.accept(null));
    }

    void unloadModel() {
        phase = Phase.UNLOADED;
        unavailableReason = "unloaded";
    }

    /** Snapshot of the slot table for llama.cpp's /slots. Index = slot id; null = idle. */
    Generation[] slotTable() {
        return slots.clone();
    }

    int queuedCount() {
        return waiting.size();
    }

    long promptTokensTotal() {
        return promptTokensTotal;
    }

    double promptSecondsTotal() {
        return promptSecondsTotal;
    }

    long tokensGenerated() {
        return tokensGenerated;
    }

    double predictedSecondsTotal() {
        return predictedSecondsTotal;
    }

    long decodeCalls() {
        return decodeCalls;
    }

    long busySlotsAtDecode() {
        return busySlotsAtDecode;
    }

    long completedCount() {
        return completed;
    }

    long requestCount() {
        return requestSeq;
    }

    // ---------------------------------------------------------------- generation lifecycle

    /**
     * Admits a parsed generation request: refuses it while the model is not ready, applies an armed
     * generation fault, then runs it in a free slot or queues it (bounded by max_queue and
     * queue_timeout_ms).
     */
    void submit(HttpServerRequest req, GenRequest request) {
        requestSeq++;
        if (recentPrompts.size() == RECENT_PROMPTS) {
            recentPrompts.removeFirst();
        }
        recentPrompts.addLast(request.prompt());
        Health h = health();
        if (h != Health.READY) {
            rejected++;
            if (h == Health.LOADING) {
                api.error(req.response(), Failure.LOADING, 503, "Loading model");
            } else {
                api.error(req.response(), Failure.UNAVAILABLE, 503, unavailableReason);
            }
            return;
        }
        Fault fault = takeGenerationFault();
        if (fault != null && fault.mode() == Fault.Mode.HTTP_5XX) {
            faulted++;
            api.error(req.response(), Failure.INTERNAL, fault.status(), "simulated engine failure (http_5xx fault)");
            return;
        }
        String id = "cmpl-" + Long.toHexString(Double.doubleToLongBits(Math.random()))
                + Long.toHexString(System.nanoTime());
        Generation g = new Generation(this, api, req, request, id, taskSeq++);
        g.fault = fault;
        g.resp.closeHandler(v -> g.onClientGone());
        int slot = freeSlot(request.preferredSlot());
        if (slot >= 0) {
            occupy(g, slot);
            return;
        }
        if (waiting.size() >= spec.maxQueue() || spec.queueTimeoutMs() == 0) {
            rejected++;
            g.state = Generation.State.DONE;
            api.error(req.response(), Failure.OVERLOADED, 503, "all slots are busy and the queue is full");
            return;
        }
        g.state = Generation.State.QUEUED;
        g.enqueuedNanos = System.nanoTime();
        waiting.addLast(g);
        g.queueTimerId = vertx.setTimer(spec.queueTimeoutMs(), t -> {
            g.queueTimerId = -1;
            if (g.state == Generation.State.QUEUED) {
                waiting.remove(g);
                g.state = Generation.State.DONE;
                rejected++;
                api.error(g.resp, Failure.OVERLOADED, 503,
                        "no slot became free within " + spec.queueTimeoutMs() + " ms");
            }
        });
    }

    private int freeSlot(int preferred) {
        if (preferred >= 0 && preferred < slots.length) {
            return slots[preferred] == null ? preferred : -1;
        }
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] == null) {
                return i;
            }
        }
        return -1;
    }

    private void occupy(Generation g, int slot) {
        slots[slot] = g;
        promptTokensTotal += g.request.promptTokens();
        g.start(slot);
    }

    void dequeue(Generation g) {
        waiting.remove(g);
        if (g.queueTimerId != -1) {
            vertx.cancelTimer(g.queueTimerId);
            g.queueTimerId = -1;
        }
    }

    void release(Generation g, Outcome outcome) {
        if (g.slot >= 0 && slots[g.slot] == g) {
            slots[g.slot] = null;
        }
        switch (outcome) {
            case COMPLETED -> completed++;
            case ABORTED -> aborted++;
            case FAULTED -> {
                // counted when the fault hit
            }
        }
        promptSecondsTotal += g.promptMs() / 1000.0;
        predictedSecondsTotal += g.predictedMs() / 1000.0;
        dispatch();
    }

    private void dispatch() {
        Iterator<Generation> it = waiting.iterator();
        while (it.hasNext()) {
            Generation next = it.next();
            int slot = freeSlot(next.request.preferredSlot());
            if (slot >= 0) {
                it.remove();
                if (next.queueTimerId != -1) {
                    vertx.cancelTimer(next.queueTimerId);
                    next.queueTimerId = -1;
                }
                occupy(next, slot);
            }
        }
    }

    void countAborted() {
        aborted++;
    }

    void onToken() {
        tokensGenerated++;
    }

    void onFaultHit() {
        faulted++;
    }

    void onDecode(boolean emitted) {
        if (!emitted) {
            return;
        }
        decodeCalls++;
        for (Generation g : slots) {
            if (g != null) {
                busySlotsAtDecode++;
            }
        }
    }

    // ---------------------------------------------------------------- HTTP

    private void onRequest(HttpServerRequest req) {
        req.body().onComplete(ar -> {
            if (ar.failed()) {
                // The client went away while sending the body; nothing to answer.
                return;
            }
            try {
                route(req, ar.result());
            } catch (RuntimeException e) {
                rejected++;
                api.error(req.response(), Failure.BAD_REQUEST, 500, "engine-sim internal error: " + e);
            }
        });
    }

    private void route(HttpServerRequest req, Buffer body) {
        String path = req.path();
        if (path.startsWith("/sim/")) {
            control(req, body);
            return;
        }
        if (!authorized(req)) {
            return;
        }
        if (!api.handle(req, body)) {
            api.notFound(req.response());
        }
    }

    /**
     * {@code --api-key}: llama.cpp protects every path but health and the model list; vLLM protects the
     * {@code /v1} paths. Each answers 401 in its own shape. TGI and Triton are served without a key here.
     */
    private boolean authorized(HttpServerRequest req) {
        String key = spec.apiKey();
        if (key == null) {
            return true;
        }
        String path = req.path();
        boolean open = switch (spec.engine()) {
            case LLAMACPP -> path.equals("/health") || path.equals("/v1/health") || path.equals("/models")
                    || path.equals("/v1/models");
            case VLLM -> !path.startsWith("/v1");
            default -> true;
        };
        if (open || ("Bearer " + key).equals(req.getHeader("Authorization"))) {
            return true;
        }
        rejected++;
        if (spec.engine() == EngineKind.LLAMACPP) {
            ObjectNode o = Json.obj();
            o.putObject("error").put("code", 401).put("message", "Invalid API Key").put("type", "authentication_error");
            Http.json(req.response(), 401, o);
        } else {
            Http.json(req.response(), 401, Json.obj().put("error", "Unauthorized"));
        }
        return false;
    }

    private void control(HttpServerRequest req, Buffer body) {
        String path = req.path();
        HttpMethod m = req.method();
        if (path.equals("/sim/stats") && m == HttpMethod.GET) {
            SimStats s = statsNow();
            ObjectNode o = Json.obj()
                    .put("active", s.active())
                    .put("queued", s.queued())
                    .put("completed", s.completed())
                    .put("aborted", s.aborted())
                    .put("faulted", s.faulted())
                    .put("rejected", s.rejected())
                    .put("slots", s.slots())
                    .put("tokens_generated", s.tokensGenerated());
            Http.json(req.response(), 200, o);
        } else if (path.equals("/sim/faults") && m == HttpMethod.POST) {
            Fault f;
            try {
                f = parseFault(Json.parse(body));
            } catch (IOException | IllegalArgumentException e) {
                Http.json(req.response(), 400, Json.obj().put("error", e.getMessage()));
                return;
            }
            armNow(f);
            Http.json(req.response(), 200, Json.obj().set("armed", faultJson(f)));
        } else if (path.equals("/sim/faults") && m == HttpMethod.DELETE) {
            clearNow();
            Http.json(req.response(), 200, Json.obj().put("cleared", true));
        } else if (path.equals("/sim/faults") && m == HttpMethod.GET) {
            ObjectNode o = Json.obj();
            o.set("generation", faultJson(generationFault).put("remaining", generationFaultRemaining));
            o.set("refuse_load", faultJson(refuseLoad).put("remaining", refuseLoadRemaining));
            o.put("health", health().name().toLowerCase(Locale.ROOT));
            Http.json(req.response(), 200, o);
        } else if (path.equals("/sim/prompts") && m == HttpMethod.GET) {
            ObjectNode o = Json.obj();
            var list = o.putArray("prompts");
            recentPrompts.forEach(list::add);
            Http.json(req.response(), 200, o);
        } else if (path.equals("/sim/info") && m == HttpMethod.GET) {
            Http.json(req.response(), 200, infoJson());
        } else {
            Http.json(req.response(), 404, Json.obj().put("error", "unknown simulator control path " + path));
        }
    }

    /** The ports-file / info entry of this instance. */
    public ObjectNode infoJson() {
        return Json.obj()
                .put("engine", spec.engine().id())
                .put("model", spec.model())
                .put("port", port)
                .put("url", "http://" + hostForUrl() + ":" + port)
                .put("engine_version", spec.engineVersion())
                .put("digest", spec.digest())
                .put("slots", spec.slots())
                .put("ctx", spec.ctx())
                .put("tokens_per_s", spec.tokensPerSecond());
    }

    public String hostForUrl() {
        String h = spec.host();
        if (h.equals("0.0.0.0")) {
            return "127.0.0.1";
        }
        return h.contains(":") ? "[" + h + "]" : h;
    }

    static Fault parseFault(JsonNode n) {
        if (!n.isObject() || !n.hasNonNull("mode")) {
            throw new IllegalArgumentException("expected a JSON object with \"mode\"");
        }
        List<String> known = List.of("mode", "after_tokens", "count", "status", "delay_ms");
        List<String> unknown = new ArrayList<>();
        n.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) {
                unknown.add(f);
            }
        });
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown fault fields " + unknown + ", expected " + known);
        }
        Fault.Mode mode = Fault.Mode.fromId(n.get("mode").asText());
        return new Fault(
                mode,
                n.path("after_tokens").asInt(0),
                n.path("count").asInt(mode == Fault.Mode.NONE ? 0 : 1),
                n.path("status").asInt(500),
                n.path("delay_ms").asLong(0));
    }

    private static ObjectNode faultJson(Fault f) {
        return Json.obj()
                .put("mode", f.mode().id())
                .put("after_tokens", f.afterTokens())
                .put("count", f.count())
                .put("status", f.status())
                .put("delay_ms", f.delayMs());
    }
}
