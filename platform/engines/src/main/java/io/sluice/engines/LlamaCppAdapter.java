package io.sluice.engines;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.core.engine.EngineChatTemplate;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * llama.cpp {@code llama-server} (SPEC POOL-4): {@code GET /health} (503 while loading), {@code GET /props}
 * for build, context and slots, and {@code POST /completion} with {@code stream: true}. Details and sources in
 * {@code docs/engine-protocols.md}.
 *
 * <p>What differs from the other engines: token counts come from {@code tokens_predicted} in the final frame
 * (the server holds a frame back until a multi-byte UTF-8 character is complete, so frames undercount);
 * a context-limited run ends with {@code stop_type: "limit"} and {@code truncated: true}; seeds have 32 bits;
 * readiness never asks {@code /slots}, which operators disable because it shows prompts.
 */
public final class LlamaCppAdapter extends HttpEngineAdapter {
    private static final Pattern DIGEST = Pattern.compile("([0-9a-f]{64})");
    /** What the last /props said about {@code sluice_interruptible_decode} (SCH-5, ADR 0027). */
    private volatile boolean interruptible;
    /** What the last /props said about the model's chat template (ADR 0037); null when it reported none. */
    private volatile EngineChatTemplate chatTemplate;

    public LlamaCppAdapter(URI base, EngineOptions options, Vertx vertx) {
        super(base, options, vertx);
    }

    @Override
    public EngineKind kind() {
        return EngineKind.LLAMACPP;
    }

    @Override
    String engineName() {
        return "llama.cpp";
    }

    @Override
    public CompletableFuture<EngineProbe> probe() {
        return getOk("/health").thenCompose(x -> getJson("/props")).thenApply(props -> {
            String build = props.path("build_info").asText("");
            if (build.isEmpty()) {
                throw new EngineException(ErrorCode.WORKER_RESET, "/props has no build_info: not a llama.cpp server?");
            }
            // /props reports the model's file path, not a digest; a digest is known only when the operator
            // named the file after it.
            String modelPath = props.path("model_path").asText("");
            Matcher m = DIGEST.matcher(modelPath);
            String digest = m.find() ? m.group(1) : null;
            JsonNode settings = props.path("default_generation_settings");
            // Newer builds nest the sampling settings under "params" and keep n_ctx beside them.
            int ctx = settings.path("n_ctx").asInt(settings.path("params").path("n_ctx").asInt(0));
            int total = props.path("total_slots").asInt(1);
            String model = modelPath.isEmpty() ? null : modelPath.substring(modelPath.lastIndexOf('/') + 1);
            // Stock llama-server cannot continue a cancelled generation exactly (its sampler state is not restored
            // by re-submitting prompt + text, ADR 0027); only a server that says so in /props is interruptible.
            interruptible = props.path("sluice_interruptible_decode").asBoolean(false);
            // The Jinja template from the model file's metadata (empty when the file carries none), with the special
            // tokens a template may write (bos_token, eos_token).
            String template = props.path("chat_template").asText("");
            chatTemplate = template.isEmpty() ? null
                    : new EngineChatTemplate(template, props.path("bos_token").asText(""), props.path("eos_token").asText(""));
            return new EngineProbe(build, digest, model, ctx, total, -1);
        });
    }

    @Override
    public boolean interruptibleDecode() {
        return interruptible;
    }

    @Override
    public EngineChatTemplate chatTemplate() {
        return chatTemplate;
    }

    @Override
    public Generation generate(GenerationRequest request, GenerationListener listener) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("prompt", request.prompt());
        if (request.resumeText() != null) {
            body.put("resume_text", request.resumeText());
        }
        body.put("n_predict", request.maxTokens());
        body.put("seed", Seeds.llamaCpp(request.seed()));
        SamplingWire.llamaCpp(request.sampling(), body);
        body.put("stream", true);
        body.put("cache_prompt", true);
        return streamSse("/completion", json(body), new Frames(request.maxTokens()), listener);
    }

    /** Parses {@code /completion} stream frames. */
    private final class Frames implements FrameParser {
        private final int maxTokens;

        Frames(int maxTokens) {
            this.maxTokens = maxTokens;
        }

        @Override
        public FrameResult onData(String data, GenerationListener listener) {
            String partial = LlamaCppPartialFrame.content(data);
            if (partial != null) {
                if (!partial.isEmpty()) {
                    listener.onToken(partial);
                }
                return FrameResult.CONTINUE;
            }
            JsonNode f = frameJson(data);
            if (f.has("error")) {
                throw EngineErrors.midStream(engineName(), f);
            }
            if (f.path("stop").asBoolean(false)) {
                // The final frame may carry text held back until a UTF-8 character was complete.
                String tail = f.path("content").asText("");
                if (!tail.isEmpty()) {
                    listener.onToken(tail);
                }
                long predicted = f.path("tokens_predicted").asLong(-1);
                long evaluated = f.path("tokens_evaluated").asLong(-1);
                long ms = (long) f.path("timings").path("predicted_ms").asDouble(-1);
                boolean truncated = f.path("truncated").asBoolean(false);
                listener.onEnd(new GenerationOutcome(predicted, evaluated, ms, stopReason(f, predicted, truncated), truncated));
                return FrameResult.DONE;
            }
            if (!f.has("content")) {
                throw new EngineException(ErrorCode.WORKER_RESET, "llama.cpp sent a stream frame without content");
            }
            String content = f.path("content").asText("");
            if (!content.isEmpty()) {
                listener.onToken(content);
            }
            return FrameResult.CONTINUE;
        }

        private StopReason stopReason(JsonNode f, long predicted, boolean truncated) {
            // stop_type replaced the older booleans stopped_eos / stopped_word / stopped_limit; read both.
            String type = f.path("stop_type").asText("");
            if (type.isEmpty()) {
                if (f.path("stopped_eos").asBoolean(false) || f.path("stopped_word").asBoolean(false)) {
                    type = "eos";
                } else if (f.path("stopped_limit").asBoolean(false)) {
                    type = "limit";
                }
            }
            return switch (type) {
                case "eos", "word" -> StopReason.STOP;
                // "limit" is both n_predict reached and the context window full; only the latter cuts the
                // answer short, and the server says so with truncated or a count below n_predict.
                case "limit" -> truncated || (predicted >= 0 && predicted < maxTokens)
                        ? StopReason.CONTEXT_LIMIT
                        : StopReason.MAX_TOKENS;
                default -> StopReason.UNKNOWN;
            };
        }
    }
}
