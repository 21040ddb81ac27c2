package io.sluice.enginesim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.enginesim.DeterministicText;
import io.sluice.enginesim.SimChatTemplate;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.util.Locale;

/**
 * llama.cpp {@code llama-server}: {@code POST /completion} (alias {@code /completions}), {@code GET /health},
 * {@code /props}, {@code /slots}, {@code /metrics}. Errors use {@code {"error":{"code","message","type"}}}.
 *
 * <p>Behaviours of the real server reproduced here because clients get them wrong:
 * <ul>
 *   <li>A token whose text ends inside a multi-byte UTF-8 character is not sent on its own: the server holds
 *       the frame back until the character is complete, so frames are fewer than tokens and only
 *       {@code tokens_predicted} counts right. The simulator's vocabulary has whole pieces, so it treats a
 *       piece with non-ASCII text as such a token: it travels in the next token's frame (or the final one).
 *       On with {@code utf8_holdback=true}; off by default while clients still count frames.
 *   <li>A prompt that does not fit the context is refused with 400 {@code exceed_context_size_error}; a
 *       prompt that fits but leaves less room than {@code n_predict} decodes until the context is full and ends
 *       with {@code stop_type: "limit"} and {@code truncated: true}.
 *   <li>Seeds keep 32 bits; {@code 0xFFFFFFFF} (and -1) mean "pick a random seed".
 *   <li>With {@code slots_endpoint=false} (the server's {@code --no-slots}), {@code /slots} answers 501.
 * </ul>
 */
final class LlamaCppApi extends EngineApi {

    LlamaCppApi(SimEngine engine) {
        super(engine);
    }

    @Override
    public boolean handle(HttpServerRequest req, Buffer body) {
        String path = req.path();
        HttpMethod m = req.method();
        HttpServerResponse resp = req.response();
        switch (path) {
            case "/health" -> {
                if (m != HttpMethod.GET) {
                    return false;
                }
                switch (engine.health()) {
                    case READY -> Http.json(resp, 200, Json.obj().put("status", "ok"));
                    case LOADING -> error(resp, Failure.LOADING, 503, "Loading model");
                    case UNAVAILABLE -> error(resp, Failure.UNAVAILABLE, 503, engine.unavailableReason());
                }
            }
            case "/props" -> Http.json(resp, 200, props());
            case "/slots" -> {
                if (engine.spec().slotsEndpoint()) {
                    Http.json(resp, 200, slots());
                } else {
                    ObjectNode o = Json.obj();
                    o.putObject("error").put("code", 501)
                            .put("message", "This server does not support slots endpoint. Start it with `--slots`")
                            .put("type", "not_supported_error");
                    Http.json(resp, 501, o);
                }
            }
            case "/metrics" -> Http.text(resp, 200, "text/plain; version=0.0.4", metrics());
            case "/completion", "/completions" -> {
                if (m != HttpMethod.POST) {
                    return false;
                }
                completion(req, body);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private void completion(HttpServerRequest req, Buffer body) {
        JsonNode n;
        try {
            n = Json.parse(body);
        } catch (IOException e) {
            error(req.response(), Failure.BAD_REQUEST, 500, "JSON parse error: " + Json.reason(e));
            return;
        }
        JsonNode p = n.get("prompt");
        if (p == null || p.isNull()) {
            error(req.response(), Failure.BAD_REQUEST, 400, "\"prompt\" must be provided");
            return;
        }
        String prompt = p.isTextual() ? p.asText() : Json.write(p);
        int promptTokens = DeterministicText.promptTokens(prompt);
        int ctx = engine.spec().ctx();
        if (promptTokens >= ctx) {
            ObjectNode o = Json.obj();
            o.putObject("error").put("code", 400)
                    .put("message", "request (" + promptTokens + " tokens) exceeds the available context size ("
                            + ctx + " tokens), try increasing it")
                    .put("type", "exceed_context_size_error")
                    .put("n_prompt_tokens", promptTokens)
                    .put("n_ctx", ctx);
            Http.json(req.response(), 400, o);
            return;
        }
        SamplerKey sampler = SamplerKey.llamaCpp(n);
        if (sampler.invalid() != null) {
            error(req.response(), Failure.BAD_REQUEST, 400, sampler.invalid());
            return;
        }
        JsonNode resume = n.get("resume_text");
        if (resume != null && !resume.isNull()) {
            // Simulator extension (ADR 0027): continue a cancelled generation after the text it had produced.
            if (!engine.spec().interruptibleDecode() || !resume.isTextual()) {
                error(req.response(), Failure.BAD_REQUEST, 400, "\"resume_text\" is not supported by this server");
                return;
            }
            long seed = n.path("seed").asLong(DeterministicText.DEFAULT_SEED) & 0xFFFF_FFFFL;
            long base = DeterministicText.base(seed, prompt, engine.spec().engineVersion(), engine.spec().digest(), sampler.key());
            if (DeterministicText.resumedTokens(base, resume.asText()) < 0) {
                error(req.response(), Failure.BAD_REQUEST, 400, "\"resume_text\" is not a prefix of this prompt's stream");
                return;
            }
        }
        int nPredict = n.path("n_predict").asInt(-1);
        int room = ctx - promptTokens;
        int max = nPredict < 0 ? room : Math.min(nPredict, room);
        // The server stores the seed as uint32: higher bits are lost, and 0xFFFFFFFF means "random".
        boolean seedGiven = n.has("seed") && n.get("seed").isNumber();
        long seedField = seedGiven ? n.get("seed").asLong() & 0xFFFF_FFFFL : -1;
        if (seedField == 0xFFFF_FFFFL) {
            seedGiven = true;
            seedField = java.util.concurrent.ThreadLocalRandom.current().nextLong(0, 0xFFFF_FFFFL);
        }
        engine.submit(req, new GenRequest(
                prompt,
                promptTokens,
                max,
                nPredict,
                seedGiven ? seedField : DeterministicText.DEFAULT_SEED,
                seedGiven,
                n.path("stream").asBoolean(false),
                n.path("id_slot").asInt(-1),
                n.path("temperature").asDouble(0.8),
                false,
                false,
                false,
                n,
                sampler.key()));
    }

    @Override
    public String streamContentType() {
        return "text/event-stream";
    }

    @Override
    public Buffer tokenFrame(Generation g, int i, String piece, boolean last) {
        if (!last && engine.spec().utf8Holdback() && !isAscii(piece)) {
            g.heldBack.append(piece);
            return Buffer.buffer();
        }
        String content = g.heldBack.isEmpty() ? piece : g.heldBack + piece;
        g.heldBack.setLength(0);
        ObjectNode o = Json.obj()
                .put("content", content)
                .put("id_slot", g.slot())
                .put("stop", false)
                .put("multimodal", false)
                .put("index", 0);
        return Buffer.buffer(sse("data: ", o));
    }

    @Override
    public Buffer endFrames(Generation g) {
        String tail = g.heldBack.toString();
        g.heldBack.setLength(0);
        return Buffer.buffer(sse("data: ", result(g, tail)));
    }

    private static boolean isAscii(String s) {
        for (int k = 0; k < s.length(); k++) {
            if (s.charAt(k) > 0x7f) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Buffer errorFrame(String message) {
        ObjectNode o = Json.obj();
        o.putObject("error").put("code", 500).put("message", message).put("type", "server_error");
        return Buffer.buffer(sse("data: ", o));
    }

    @Override
    public JsonNode completeBody(Generation g) {
        return result(g, g.text());
    }

    private ObjectNode result(Generation g, String content) {
        GenRequest r = g.request();
        double promptMs = g.promptMs();
        double predictedMs = g.predictedMs();
        ObjectNode timings = Json.obj()
                .put("prompt_n", r.promptTokens())
                .put("prompt_ms", round3(promptMs))
                .put("prompt_per_token_ms", round3(promptMs / Math.max(1, r.promptTokens())))
                .put("prompt_per_second", perSecond(r.promptTokens(), promptMs))
                .put("predicted_n", g.sent())
                .put("predicted_ms", round3(predictedMs))
                .put("predicted_per_token_ms", round3(g.sent() == 0 ? 0 : predictedMs / g.sent()))
                .put("predicted_per_second", perSecond(g.sent(), predictedMs));
        ObjectNode o = Json.obj()
                .put("content", content)
                .put("id_slot", g.slot())
                .put("stop", true)
                .put("model", engine.spec().model())
                .put("tokens_predicted", g.sent())
                .put("tokens_evaluated", r.promptTokens());
        o.set("generation_settings", settings(r));
        o.put("prompt", r.prompt())
                .put("has_new_line", g.hasNewLine())
                // Context full before n_predict (or no n_predict at all): the answer is cut short.
                .put("truncated", r.requestedMax() < 0 || r.maxTokens() < r.requestedMax())
                .put("stopped_eos", false)
                .put("stopped_word", false)
                .put("stopped_limit", true)
                .put("stop_type", "limit")
                .put("stopping_word", "")
                .put("tokens_cached", r.promptTokens() + g.sent());
        o.set("timings", timings);
        o.put("index", 0);
        return o;
    }

    private ObjectNode settings(GenRequest r) {
        ObjectNode s = Json.obj()
                .put("n_ctx", engine.spec().ctx())
                .put("n_predict", r == null ? -1 : r.requestedMax())
                .put("model", engine.spec().model())
                .put("seed", r == null ? -1 : r.seedGiven() ? r.seed() : -1)
                .put("seed_cur", r == null ? DeterministicText.DEFAULT_SEED : r.seed())
                .put("temperature", r == null ? 0.8 : r.temperature())
                .put("top_k", 40)
                .put("top_p", 0.95)
                .put("min_p", 0.05)
                .put("stream", r != null && r.stream())
                .put("n_probs", 0)
                .put("ignore_eos", false);
        ArrayNode samplers = s.putArray("samplers");
        samplers.add("top_k").add("typ_p").add("top_p").add("min_p").add("temperature");
        return s;
    }

    private ObjectNode props() {
        ObjectNode o = Json.obj();
        o.set("default_generation_settings", settings(null));
        o.put("total_slots", engine.spec().slots())
                .put("model_path", engine.modelPath() + ".gguf")
                .put("chat_template", engine.spec().chatTemplate().template())
                // Real builds report "b<build>-<commit>"; the simulator's commit part is "sim".
                .put("build_info", engine.spec().engineVersion() + "-sim");
        if (engine.spec().chatTemplate() != SimChatTemplate.NONE) {
            // A real server reports the special tokens of the model's vocabulary next to its template.
            o.put("bos_token", engine.spec().chatTemplate().bosToken()).put("eos_token", engine.spec().chatTemplate().eosToken());
        }
        if (engine.spec().interruptibleDecode()) {
            o.put("sluice_interruptible_decode", true);
        }
        return o;
    }

    private ArrayNode slots() {
        ArrayNode a = Json.arr();
        Generation[] table = engine.slotTable();
        for (int i = 0; i < table.length; i++) {
            Generation g = table[i];
            boolean busy = g != null && g.processing();
            ObjectNode s = a.addObject()
                    .put("id", i)
                    .put("id_task", busy ? g.taskId() : -1)
                    .put("n_ctx", engine.spec().ctx())
                    .put("speculative", false)
                    .put("is_processing", busy);
            s.set("params", settings(busy ? g.request() : null));
            s.put("prompt", busy ? g.request().prompt() : "");
            s.putObject("next_token")
                    .put("has_next_token", busy)
                    .put("has_new_line", busy && g.hasNewLine())
                    .put("n_remain", busy ? g.request().maxTokens() - g.sent() : -1)
                    .put("n_decoded", busy ? g.sent() : 0)
                    .put("stopping_word", "");
        }
        return a;
    }

    private String metrics() {
        long predicted = engine.tokensGenerated();
        double predictedSeconds = engine.predictedSecondsTotal();
        long promptTokens = engine.promptTokensTotal();
        double promptSeconds = engine.promptSecondsTotal();
        long decodes = engine.decodeCalls();
        long kvTokens = 0;
        int processing = 0;
        for (Generation g : engine.slotTable()) {
            if (g != null) {
                processing++;
                kvTokens += g.request().promptTokens() + g.sent();
            }
        }
        double kvCapacity = (double) engine.spec().ctx() * engine.spec().slots();
        StringBuilder sb = new StringBuilder();
        metric(sb, "prompt_tokens_total", "counter", "Number of prompt tokens processed.", promptTokens);
        metric(sb, "prompt_seconds_total", "counter", "Prompt process time", promptSeconds);
        metric(sb, "tokens_predicted_total", "counter", "Number of generation tokens processed.", predicted);
        metric(sb, "tokens_predicted_seconds_total", "counter", "Predict process time", predictedSeconds);
        metric(sb, "n_decode_total", "counter", "Total number of llama_decode() calls", decodes);
        metric(sb, "n_busy_slots_per_decode", "counter", "Average number of busy slots per llama_decode() call",
                decodes == 0 ? 0 : (double) engine.busySlotsAtDecode() / decodes);
        metric(sb, "prompt_tokens_seconds", "gauge", "Average prompt throughput in tokens/s.",
                promptSeconds == 0 ? 0 : promptTokens / promptSeconds);
        metric(sb, "predicted_tokens_seconds", "gauge", "Average generation throughput in tokens/s.",
                predictedSeconds == 0 ? 0 : predicted / predictedSeconds);
        metric(sb, "kv_cache_usage_ratio", "gauge", "KV-cache usage. 1 = 100 percent usage.", kvTokens / kvCapacity);
        metric(sb, "kv_cache_tokens", "gauge", "KV-cache tokens.", kvTokens);
        metric(sb, "requests_processing", "gauge", "Number of requests processing.", processing);
        metric(sb, "requests_deferred", "gauge", "Number of requests deferred.", engine.queuedCount());
        return sb.toString();
    }

    private static void metric(StringBuilder sb, String name, String type, String help, double value) {
        String full = "llamacpp:" + name;
        sb.append("# HELP ").append(full).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(full).append(' ').append(type).append('\n');
        sb.append(full).append(' ');
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            sb.append((long) value);
        } else {
            sb.append(String.format(Locale.ROOT, "%.6g", value));
        }
        sb.append('\n');
    }

    @Override
    public void error(HttpServerResponse resp, Failure failure, int status, String message) {
        String type = switch (failure) {
            case LOADING, UNAVAILABLE, OVERLOADED -> "unavailable_error";
            case BAD_REQUEST -> "invalid_request_error";
            case MODEL_NOT_FOUND -> "not_found_error";
            case INTERNAL -> "server_error";
        };
        ObjectNode o = Json.obj();
        o.putObject("error").put("code", status).put("message", message).put("type", type);
        Http.json(resp, status, o);
    }

    @Override
    public void notFound(HttpServerResponse resp) {
        error(resp, Failure.MODEL_NOT_FOUND, 404, "File Not Found");
    }

    static double round3(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }

    static double perSecond(int n, double ms) {
        return ms <= 0 ? 0 : round3(n * 1000.0 / ms);
    }
}
