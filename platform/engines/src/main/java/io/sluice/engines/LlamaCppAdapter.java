package io.sluice.engines;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.core.engine.EngineException;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.engine.Generation;
import io.sluice.core.engine.GenerationListener;
import io.sluice.core.engine.GenerationRequest;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.task.EngineKind;
import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * llama.cpp server protocol (SPEC POOL-4): {@code GET /health} (503 while loading), {@code GET /props} for
 * build, context and slots, {@code GET /slots} for occupancy, and {@code POST /completion} with
 * {@code stream: true}, whose SSE frames carry {@code content} per token and end with {@code stop: true}.
 */
public final class LlamaCppAdapter extends HttpEngineAdapter {
    private static final Pattern DIGEST = Pattern.compile("([0-9a-f]{64})");

    public LlamaCppAdapter(URI base) {
        super(base);
    }

    @Override
    public EngineKind kind() {
        return EngineKind.LLAMACPP;
    }

    @Override
    public CompletableFuture<EngineProbe> probe() {
        return getOk("/health").thenCompose(x -> getJson("/props")).thenCombine(getJson("/slots"), (props, slots) -> {
            String build = props.path("build_info").asText("");
            if (build.isEmpty()) {
                throw new EngineException(ErrorCode.WORKER_RESET, "/props has no build_info: not a llama.cpp server?");
            }
            String modelPath = props.path("model_path").asText("");
            Matcher m = DIGEST.matcher(modelPath);
            String digest = m.find() ? m.group(1) : null;
            int ctx = props.path("default_generation_settings").path("n_ctx").asInt(0);
            int total = props.path("total_slots").asInt(slots.isArray() ? slots.size() : 1);
            int busy = 0;
            if (slots.isArray()) {
                for (JsonNode s : slots) {
                    if (s.path("is_processing").asBoolean(false)) {
                        busy++;
                    }
                }
            }
            String model = modelPath.isEmpty() ? null : modelPath.substring(modelPath.lastIndexOf('/') + 1);
            return new EngineProbe(build, digest, model, ctx, total, slots.isArray() ? busy : -1);
        });
    }

    @Override
    public Generation generate(GenerationRequest request, GenerationListener listener) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("prompt", request.prompt());
        body.put("n_predict", request.maxTokens());
        body.put("seed", request.seed());
        body.put("stream", true);
        body.put("cache_prompt", true);
        return streamSse("/completion", json(body), new Frames(), listener);
    }

    /** Parses {@code /completion} stream frames. */
    private static final class Frames implements FrameParser {
        @Override
        public FrameResult onData(String data, GenerationListener listener) {
            JsonNode f;
            try {
                f = JSON.readTree(data);
            } catch (IOException e) {
                throw new EngineException(ErrorCode.WORKER_RESET, "llama.cpp sent a frame that is not JSON");
            }
            if (f == null || !f.isObject()) {
                throw new EngineException(ErrorCode.WORKER_RESET, "llama.cpp sent a frame that is not a JSON object");
            }
            if (f.has("error")) {
                throw new EngineException(ErrorCode.WORKER_RESET, "llama.cpp error: " + f.path("error").path("message").asText("unknown"));
            }
            if (f.path("stop").asBoolean(false)) {
                String tail = f.path("content").asText("");
                if (!tail.isEmpty()) {
                    listener.onToken(tail);
                }
                long predicted = f.path("tokens_predicted").asLong(-1);
                long ms = (long) f.path("timings").path("predicted_ms").asDouble(-1);
                listener.onEnd(predicted, ms);
                return FrameResult.DONE;
            }
            if (!f.has("content")) {
                throw new EngineException(ErrorCode.WORKER_RESET, "llama.cpp frame without content");
            }
            listener.onToken(f.path("content").asText(""));
            return FrameResult.CONTINUE;
        }
    }
}
