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
import io.vertx.core.Vertx;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * vLLM's OpenAI-compatible server (SPEC POOL-4): {@code GET /health} (200 once the engine runs),
 * {@code GET /v1/models} (the served model and {@code max_model_len}), {@code GET /version}, and
 * {@code POST /v1/completions} or {@code /v1/chat/completions} with {@code stream: true} and
 * {@code stream_options.include_usage}, whose {@code data:} chunks carry text in {@code choices[0].text}
 * (chat: {@code choices[0].delta.content}), a {@code finish_reason} on the last choice, a usage-only chunk,
 * and {@code data: [DONE]}.
 */
public final class VllmAdapter extends HttpEngineAdapter {
    private final String model;

    public VllmAdapter(URI base, String model, EngineOptions options, Vertx vertx) {
        super(base, options, vertx);
        this.model = model;
    }

    @Override
    public EngineKind kind() {
        return EngineKind.VLLM;
    }

    @Override
    String engineName() {
        return "vLLM";
    }

    @Override
    public CompletableFuture<EngineProbe> probe() {
        // /version is unauthenticated and old servers lack it: a missing version is not a readiness failure.
        CompletableFuture<String> version = getJson("/version")
                .thenApply(v -> v.path("version").asText(""))
                .exceptionally(e -> "");
        return getOk("/health")
                .thenCompose(x -> getJson("/v1/models"))
                .thenCombine(version, (models, v) -> {
                    JsonNode entry = null;
                    for (JsonNode m : models.path("data")) {
                        if (model.equals(m.path("id").asText())) {
                            entry = m;
                        }
                    }
                    if (entry == null) {
                        throw new EngineException(ErrorCode.POOL_UNAVAILABLE, "vLLM does not serve model '" + model + "'");
                    }
                    int ctx = entry.path("max_model_len").asInt(0);
                    // vLLM reports neither its slot count nor a weights digest; the scheduler uses its own limits.
                    return new EngineProbe(v.isEmpty() ? "vllm" : "vllm-" + v, null, model, ctx, 0, -1);
                });
    }

    /**
     * {@inheritDoc}
     *
     * <p>vLLM can abort a request and accept prompt + generated text as a new prompt, but the continuation is not the
     * stream the first request would have produced under sampling (the per-request generator restarts from the seed),
     * so the stream a client sees would change at the cut: not interruptible (ADR 0027).
     */
    @Override
    public boolean interruptibleDecode() {
        return false;
    }

    @Override
    public Generation generate(GenerationRequest request, GenerationListener listener) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        if (options.chat()) {
            body.put("messages", List.of(Map.of("role", "user", "content", request.prompt())));
        } else {
            body.put("prompt", request.prompt());
        }
        body.put("max_tokens", request.maxTokens());
        body.put("seed", Seeds.vllm(request.seed()));
        SamplingWire.vllm(request.sampling(), body);
        body.put("stream", true);
        body.put("stream_options", Map.of("include_usage", true));
        String path = options.chat() ? "/v1/chat/completions" : "/v1/completions";
        return streamSse(path, json(body), new Frames(), listener);
    }

    /** Parses OpenAI streaming chunks. */
    private final class Frames implements FrameParser {
        private StopReason stop = StopReason.UNKNOWN;
        private long completionTokens = -1;
        private long promptTokens = -1;

        @Override
        public FrameResult onData(String data, GenerationListener listener) {
            if (data.equals("[DONE]")) {
                listener.onEnd(new GenerationOutcome(completionTokens, promptTokens, -1, stop, false));
                return FrameResult.DONE;
            }
            JsonNode f = frameJson(data);
            if (f.has("error") || "error".equals(f.path("object").asText())) {
                throw EngineErrors.midStream(engineName(), f);
            }
            for (JsonNode c : f.path("choices")) {
                String text = options.chat() ? c.path("delta").path("content").asText("") : c.path("text").asText("");
                if (!text.isEmpty()) {
                    listener.onToken(text);
                }
                JsonNode reason = c.get("finish_reason");
                if (reason != null && !reason.isNull()) {
                    stop = switch (reason.asText()) {
                        case "length" -> StopReason.MAX_TOKENS;
                        case "stop" -> StopReason.STOP;
                        default -> StopReason.UNKNOWN;
                    };
                }
            }
            JsonNode usage = f.get("usage");
            if (usage != null && usage.isObject()) {
                completionTokens = usage.path("completion_tokens").asLong(completionTokens);
                promptTokens = usage.path("prompt_tokens").asLong(promptTokens);
            }
            return FrameResult.CONTINUE;
        }
    }
}
