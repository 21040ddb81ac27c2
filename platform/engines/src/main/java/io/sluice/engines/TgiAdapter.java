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
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Hugging Face text-generation-inference (SPEC POOL-4): {@code GET /health}, {@code GET /info} (model id and
 * sha, version, {@code max_total_tokens}, {@code max_concurrent_requests}) and {@code POST /generate_stream}
 * with {@code inputs} and {@code parameters}, whose {@code data:} frames carry one {@code token} each; the last
 * one also carries {@code generated_text} and, with {@code details: true}, {@code details.finish_reason} and
 * {@code details.generated_tokens}. The stream then closes; there is no terminator frame.
 */
public final class TgiAdapter extends HttpEngineAdapter {
    public TgiAdapter(URI base, EngineOptions options, Vertx vertx) {
        super(base, options, vertx);
    }

    @Override
    public EngineKind kind() {
        return EngineKind.TGI;
    }

    @Override
    String engineName() {
        return "TGI";
    }

    @Override
    public CompletableFuture<EngineProbe> probe() {
        return getOk("/health").thenCompose(x -> getJson("/info")).thenApply(info -> {
            String version = info.path("version").asText("");
            if (version.isEmpty()) {
                throw new EngineException(ErrorCode.WORKER_RESET, "/info has no version: not a TGI server?");
            }
            String sha = info.path("model_sha").asText(null);
            String digest = sha != null && sha.matches("[0-9a-f]{64}") ? sha : null;
            return new EngineProbe("tgi-" + version, digest, info.path("model_id").asText(null),
                    info.path("max_total_tokens").asInt(0), info.path("max_concurrent_requests").asInt(0), -1);
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>TGI has no way to continue a cancelled generation with its sampler state; re-submitting prompt + text changes
     * the stream under sampling: not interruptible (ADR 0027).
     */
    @Override
    public boolean interruptibleDecode() {
        return false;
    }

    @Override
    public Generation generate(GenerationRequest request, GenerationListener listener) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("max_new_tokens", request.maxTokens());
        params.put("seed", Seeds.tgi(request.seed()));
        SamplingWire.tgi(request.sampling(), params);
        // details: the final frame then says why decoding stopped and how many tokens it made.
        params.put("details", true);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("inputs", request.prompt());
        body.put("parameters", params);
        return streamSse("/generate_stream", json(body), new Frames(), listener);
    }

    /** Parses {@code /generate_stream} frames. */
    private final class Frames implements FrameParser {
        private long frames;

        @Override
        public FrameResult onData(String data, GenerationListener listener) {
            JsonNode f = frameJson(data);
            if (f.has("error")) {
                throw EngineErrors.midStream(engineName(), f);
            }
            JsonNode token = f.get("token");
            if (token == null || !token.isObject()) {
                throw new EngineException(ErrorCode.WORKER_RESET, "TGI sent a stream frame without token");
            }
            frames++;
            // Special tokens (end of sequence) are not text the client asked for.
            if (!token.path("special").asBoolean(false)) {
                String text = token.path("text").asText("");
                if (!text.isEmpty()) {
                    listener.onToken(text);
                }
            }
            JsonNode generated = f.get("generated_text");
            if (generated == null || generated.isNull()) {
                return FrameResult.CONTINUE;
            }
            JsonNode details = f.path("details");
            long tokens = details.path("generated_tokens").asLong(frames);
            StopReason stop = switch (details.path("finish_reason").asText("")) {
                case "length" -> StopReason.MAX_TOKENS;
                case "eos_token", "stop_sequence" -> StopReason.STOP;
                default -> StopReason.UNKNOWN;
            };
            long input = details.path("input_length").asLong(-1);
            listener.onEnd(new GenerationOutcome(tokens, input, -1, stop, false));
            return FrameResult.DONE;
        }
    }
}
