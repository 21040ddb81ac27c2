package io.sluice.engines;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.core.engine.EngineException;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.engine.Generation;
import io.sluice.core.engine.GenerationListener;
import io.sluice.core.engine.GenerationOutcome;
import io.sluice.core.engine.GenerationOutcome.StopReason;
import io.sluice.core.engine.GenerationRequest;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.task.EngineKind;
import io.sluice.core.task.Sampling;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * NVIDIA Triton with the generate extension (SPEC POOL-4): {@code GET /v2/health/ready},
 * {@code GET /v2/models/{m}} (metadata: the model's input tensors), {@code GET /v2/models/{m}/config},
 * {@code GET /v2} (server version), and {@code POST /v2/models/{m}/generate_stream}, whose {@code data:} frames
 * each carry the next piece of {@code text_output}. The stream ends when the server closes it; an error arrives
 * as {@code data: {"error": ...}}.
 *
 * <p>Two request dialects exist, fixed by the model, not by Triton: the vLLM backend takes sampling settings
 * in {@code parameters}; TensorRT-LLM ensembles declare {@code max_tokens} (and a seed) as input tensors at
 * the top level. The probe reads the model's inputs and picks the dialect; until then the vLLM one is used.
 */
public final class TritonAdapter extends HttpEngineAdapter {
    private final String model;
    private final String modelPath;
    /** Name of the seed input tensor when the model takes settings as inputs, else null (parameters dialect). */
    private volatile boolean tensorDialect;
    private volatile String seedInput;
    /** The model's declared input tensors (tensor dialect): which sampling members it can take, and as what. */
    private volatile Set<String> inputs = Set.of();

    public TritonAdapter(URI base, String model, EngineOptions options, Vertx vertx) {
        super(base, options, vertx);
        this.model = model;
        this.modelPath = "/v2/models/" + URLEncoder.encode(model, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    public EngineKind kind() {
        return EngineKind.TRITON;
    }

    @Override
    String engineName() {
        return "Triton";
    }

    @Override
    EngineException httpError(String what, int status, String body) {
        // Readiness endpoints answer 400 with an empty body when not ready.
        if (what.endsWith("/ready") && status == 400) {
            return new EngineException(ErrorCode.POOL_UNREADY, "Triton " + what + " answered 400: not ready", status, null, null);
        }
        if (status == 404) {
            EngineErrors.EngineError e = EngineErrors.parse(body);
            // A model that is still loading, or failed to load, has no version to serve: Triton says 404.
            boolean notReady = e.message().contains("no available versions") || e.message().contains("is not ready");
            return EngineErrors.forCode(notReady ? ErrorCode.POOL_UNREADY : ErrorCode.POOL_UNAVAILABLE, engineName(),
                    what + " answered HTTP 404", e, status);
        }
        return super.httpError(what, status, body);
    }

    /** Triton's model-repository extension: {@code POST /v2/repository/models/{m}/unload} (LIFE-2, a Retired model). */
    @Override
    public CompletableFuture<Void> unload() {
        return postOk("/v2/repository/models/" + URLEncoder.encode(model, StandardCharsets.UTF_8).replace("+", "%20") + "/unload", "{}");
    }

    @Override
    public CompletableFuture<EngineProbe> probe() {
        CompletableFuture<String> version = getJson("/v2").thenApply(v -> v.path("version").asText("")).exceptionally(e -> "");
        CompletableFuture<JsonNode> config = getJson(modelPath + "/config").exceptionally(e -> JSON.createObjectNode());
        return getOk("/v2/health/ready")
                .thenCompose(x -> getOk(modelPath + "/ready"))
                .thenCompose(x -> getJson(modelPath))
                .thenCombine(version, (meta, v) -> {
                    readDialect(meta);
                    return v;
                })
                .thenCombine(config, (v, cfg) -> {
                    JsonNode params = cfg.path("parameters");
                    String digest = params.path("model_digest").path("string_value").asText(null);
                    int ctx = parseInt(params.path("max_model_len").path("string_value").asText(""));
                    int instances = 0;
                    for (JsonNode g : cfg.path("instance_group")) {
                        instances += g.path("count").asInt(0);
                    }
                    return new EngineProbe(v.isEmpty() ? "triton" : "triton-" + v,
                            digest != null && digest.matches("[0-9a-f]{64}") ? digest : null, model, ctx, instances, -1,
                            gpus(cfg.path("instance_group")));
                });
    }

    /**
     * The GPUs the model's instance groups run on (SCH-6), ascending: {@code KIND_GPU} groups list them in {@code gpus};
     * {@code KIND_CPU} groups use none. {@code null} when the configuration does not say: a {@code KIND_GPU} group
     * without {@code gpus} runs on every GPU Triton sees, and {@code KIND_MODEL} (or {@code KIND_AUTO}) lets the
     * backend choose.
     */
    static List<Integer> gpus(JsonNode groups) {
        if (!groups.isArray() || groups.isEmpty()) {
            return null;
        }
        java.util.TreeSet<Integer> used = new java.util.TreeSet<>();
        for (JsonNode g : groups) {
            String kind = g.path("kind").asText("KIND_AUTO");
            if (kind.equals("KIND_CPU")) {
                continue;
            }
            if (!kind.equals("KIND_GPU") || !g.path("gpus").isArray() || g.path("gpus").isEmpty()) {
                return null;
            }
            for (JsonNode d : g.path("gpus")) {
                if (!d.canConvertToInt() || d.asInt() < 0) {
                    return null;
                }
                used.add(d.asInt());
            }
        }
        return List.copyOf(used);
    }

    private void readDialect(JsonNode meta) {
        boolean tensors = false;
        String seed = null;
        Set<String> names = new HashSet<>();
        for (JsonNode in : meta.path("inputs")) {
            String name = in.path("name").asText("");
            names.add(name);
            if (name.equals("max_tokens")) {
                tensors = true;
            } else if (name.equals("seed") || name.equals("random_seed")) {
                seed = name;
            }
        }
        seedInput = seed;
        inputs = Set.copyOf(names);
        tensorDialect = tensors;
    }

    private static int parseInt(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Triton's generate endpoint exposes no resumable decode state: not interruptible (ADR 0027).
     */
    @Override
    public boolean interruptibleDecode() {
        return false;
    }

    @Override
    public Generation generate(GenerationRequest request, GenerationListener listener) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("text_input", request.prompt());
        if (tensorDialect) {
            body.put("max_tokens", request.maxTokens());
            body.put("stream", true);
            if (seedInput != null) {
                body.put(seedInput, Seeds.tgi(request.seed()));
            }
            EngineException refused = sampleAsInputs(request.sampling(), body);
            if (refused != null) {
                return refuse(refused, listener);
            }
        } else {
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("stream", true);
            params.put("max_tokens", request.maxTokens());
            params.put("seed", Seeds.vllm(request.seed()));
            SamplingWire.vllm(request.sampling(), params);
            params.put("exclude_input_in_output", true);
            body.put("parameters", params);
        }
        return streamSse(modelPath + "/generate_stream", json(body), new Frames(), listener);
    }

    /**
     * TensorRT-LLM ensembles take sampling members as optional input tensors, under the names their config declares
     * ({@code top_k}/{@code top_p}, older ensembles {@code runtime_top_k}/{@code runtime_top_p}; no {@code min_p} in
     * the stock ensemble). A member the model declares no input for is refused (INVALID_PARAMS), never dropped.
     *
     * @return the refusal, or null when every member was written
     */
    private EngineException sampleAsInputs(Sampling s, Map<String, Object> body) {
        if (s == null) {
            return null;
        }
        Object[][] members = {
            {"temperature", s.temperature(), new String[] {"temperature"}},
            {"top_p", s.topP(), new String[] {"top_p", "runtime_top_p"}},
            {"top_k", s.topK(), new String[] {"top_k", "runtime_top_k"}},
            {"min_p", s.minP(), new String[] {"min_p"}},
            {"presence_penalty", s.presencePenalty(), new String[] {"presence_penalty"}},
            {"frequency_penalty", s.frequencyPenalty(), new String[] {"frequency_penalty"}},
            {"repetition_penalty", s.repetitionPenalty(), new String[] {"repetition_penalty"}},
        };
        Set<String> declared = inputs;
        for (Object[] m : members) {
            if (m[1] == null) {
                continue;
            }
            String input = null;
            for (String candidate : (String[]) m[2]) {
                if (declared.contains(candidate)) {
                    input = candidate;
                    break;
                }
            }
            if (input == null) {
                return new EngineException(ErrorCode.INVALID_PARAMS, "Triton model " + model + " declares no input tensor for sampling."
                        + m[0] + " (its inputs: " + new TreeSet<>(declared) + ")");
            }
            body.put(input, m[1]);
        }
        return null;
    }

    /** Parses {@code generate_stream} frames. */
    private final class Frames implements FrameParser {
        private long outputTokens = -1;
        private StopReason stop = StopReason.UNKNOWN;

        @Override
        public FrameResult onData(String data, GenerationListener listener) {
            JsonNode f = frameJson(data);
            if (f.has("error")) {
                throw EngineErrors.midStream(engineName(), f);
            }
            JsonNode text = f.get("text_output");
            if (text == null) {
                throw new EngineException(ErrorCode.WORKER_RESET, "Triton sent a stream frame without text_output");
            }
            String piece = text.isArray() ? (text.size() == 0 ? "" : text.get(0).asText("")) : text.asText("");
            if (!piece.isEmpty()) {
                listener.onToken(piece);
            }
            // Optional outputs of the vLLM backend (return_num_output_tokens, return_finish_reason).
            if (f.has("num_output_tokens")) {
                outputTokens = first(f.get("num_output_tokens")).asLong(outputTokens);
            }
            if (f.has("finish_reason")) {
                stop = switch (first(f.get("finish_reason")).asText("")) {
                    case "length" -> StopReason.MAX_TOKENS;
                    case "stop" -> StopReason.STOP;
                    default -> stop;
                };
            }
            return FrameResult.CONTINUE;
        }

        private JsonNode first(JsonNode n) {
            return n.isArray() && n.size() > 0 ? n.get(0) : n;
        }

        @Override
        public boolean onCleanEnd(GenerationListener listener) {
            // Triton reports no token count by default: -1 leaves the scheduler's own count in place.
            listener.onEnd(new GenerationOutcome(outputTokens, -1, -1, stop, false));
            return true;
        }
    }
}
