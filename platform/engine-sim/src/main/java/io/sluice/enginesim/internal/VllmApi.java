package io.sluice.enginesim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.enginesim.DeterministicText;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;

/**
 * vLLM's OpenAI-compatible server: {@code POST /v1/completions}, {@code /v1/chat/completions},
 * {@code GET /health}, {@code /version}, {@code /v1/models}, {@code /metrics}. Errors use
 * {@code {"object":"error","message","type","param","code"}}; an error inside a stream is
 * {@code data: {"error": {...}}} followed by {@code data: [DONE]}.
 *
 * <p>Chat: the simulator has no chat template; the prompt it decodes from is the messages' contents joined
 * by newlines.
 */
final class VllmApi extends EngineApi {

    private static final int DEFAULT_MAX_TOKENS = 16;

    VllmApi(SimEngine engine) {
        super(engine);
    }

    @Override
    public boolean handle(HttpServerRequest req, Buffer body) {
        HttpServerResponse resp = req.response();
        HttpMethod m = req.method();
        switch (req.path()) {
            case "/health" -> Http.empty(resp, engine.health() == SimEngine.Health.READY ? 200 : 503);
            case "/version" -> Http.json(resp, 200, Json.obj().put("version", engine.spec().engineVersion()));
            case "/v1/models" -> Http.json(resp, 200, models());
            case "/metrics" -> Http.text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", metrics());
            case "/v1/completions", "/v1/chat/completions" -> {
                if (m != HttpMethod.POST) {
                    return false;
                }
                completions(req, body);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private void completions(HttpServerRequest req, Buffer body) {
        HttpServerResponse resp = req.response();
        JsonNode n;
        try {
            n = Json.parse(body);
        } catch (IOException e) {
            error(resp, Failure.BAD_REQUEST, 400, "Invalid JSON body: " + Json.reason(e));
            return;
        }
        String model = n.path("model").asText(engine.spec().model());
        if (!model.equals(engine.spec().model())) {
            error(resp, Failure.MODEL_NOT_FOUND, 404, "The model `" + model + "` does not exist.");
            return;
        }
        boolean chat = req.path().equals("/v1/chat/completions");
        JsonNode p = n.get("prompt");
        if (chat) {
            JsonNode msgs = n.get("messages");
            if (msgs == null || !msgs.isArray() || msgs.isEmpty()) {
                error(resp, Failure.BAD_REQUEST, 400, "messages must be a non-empty list");
                return;
            }
            StringBuilder sb = new StringBuilder();
            for (JsonNode msg : msgs) {
                if (sb.length() > 0) {
                    sb.append('\n');
                }
                sb.append(msg.path("content").asText(""));
            }
            p = Json.obj().textNode(sb.toString());
        }
        if (p != null && p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            p = p.get(0);
        }
        if (p == null || !p.isTextual()) {
            error(resp, Failure.BAD_REQUEST, 400,
                    "prompt must be a string or a list with one string (the simulator serves one prompt per request)");
            return;
        }
        String prompt = p.asText();
        int promptTokens = DeterministicText.promptTokens(prompt);
        int ctx = engine.spec().ctx();
        JsonNode mt = n.has("max_completion_tokens") ? n.get("max_completion_tokens") : n.get("max_tokens");
        int max;
        if (mt == null || mt.isNull()) {
            max = n.has("max_tokens") ? ctx - promptTokens : DEFAULT_MAX_TOKENS;
        } else {
            max = mt.asInt();
        }
        if (max < 1) {
            error(resp, Failure.BAD_REQUEST, 400, "max_tokens must be at least 1, got " + max + ".");
            return;
        }
        if (promptTokens + max > ctx) {
            error(resp, Failure.BAD_REQUEST, 400, "This model's maximum context length is " + ctx
                    + " tokens. However, you requested " + (promptTokens + max) + " tokens (" + promptTokens
                    + " in the messages, " + max + " in the completion). Please reduce the length of the messages"
                    + " or completion.");
            return;
        }
        SamplerKey sampler = SamplerKey.vllm(n);
        if (sampler.invalid() != null) {
            error(resp, Failure.BAD_REQUEST, 400, sampler.invalid());
            return;
        }
        JsonNode seed = n.get("seed");
        boolean seedGiven = seed != null && !seed.isNull();
        engine.submit(req, new GenRequest(
                prompt,
                promptTokens,
                max,
                max,
                seedGiven ? seed.asLong() : DeterministicText.DEFAULT_SEED,
                seedGiven,
                n.path("stream").asBoolean(false),
                -1,
                n.path("temperature").asDouble(1.0),
                false,
                n.path("stream_options").path("include_usage").asBoolean(false),
                false,
                n,
                sampler.key()));
    }

    @Override
    public String streamContentType() {
        return "text/event-stream; charset=utf-8";
    }

    private static boolean chat(Generation g) {
        return g.request().raw().has("messages");
    }

    private ObjectNode envelope(Generation g) {
        return envelope(g, chat(g) ? "chat.completion.chunk" : "text_completion");
    }

    private ObjectNode envelope(Generation g, String object) {
        return Json.obj()
                .put("id", chat(g) ? "chatcmpl-" + g.id().substring(5) : g.id())
                .put("object", object)
                .put("created", g.createdEpochSeconds())
                .put("model", engine.spec().model());
    }

    @Override
    public Buffer tokenFrame(Generation g, int i, String piece, boolean last) {
        ObjectNode o = envelope(g);
        ObjectNode c = o.putArray("choices").addObject().put("index", 0);
        if (chat(g)) {
            ObjectNode delta = c.putObject("delta");
            if (i == 0) {
                delta.put("role", "assistant");
            }
            delta.put("content", piece);
        } else {
            c.put("text", piece);
        }
        c.putNull("logprobs");
        if (last) {
            c.put("finish_reason", "length");
        } else {
            c.putNull("finish_reason");
        }
        c.putNull("stop_reason");
        o.putNull("usage");
        return Buffer.buffer(sse("data: ", o));
    }

    @Override
    public Buffer endFrames(Generation g) {
        StringBuilder sb = new StringBuilder();
        if (g.request().includeUsage()) {
            ObjectNode o = envelope(g);
            o.putArray("choices");
            o.set("usage", usage(g));
            sb.append(sse("data: ", o));
        }
        sb.append("data: [DONE]\n\n");
        return Buffer.buffer(sb.toString());
    }

    @Override
    public Buffer errorFrame(String message) {
        ObjectNode o = Json.obj();
        ObjectNode e = o.putObject("error")
                .put("object", "error")
                .put("message", message)
                .put("type", "InternalServerError");
        e.putNull("param");
        e.put("code", 500);
        return Buffer.buffer(sse("data: ", o) + "data: [DONE]\n\n");
    }

    @Override
    public JsonNode completeBody(Generation g) {
        ObjectNode o = envelope(g, chat(g) ? "chat.completion" : "text_completion");
        ObjectNode c = o.putArray("choices").addObject().put("index", 0);
        if (chat(g)) {
            c.putObject("message").put("role", "assistant").put("content", g.text());
        } else {
            c.put("text", g.text());
        }
        c.putNull("logprobs");
        c.put("finish_reason", "length");
        c.putNull("stop_reason");
        c.putNull("prompt_logprobs");
        o.set("usage", usage(g));
        return o;
    }

    private static ObjectNode usage(Generation g) {
        int p = g.request().promptTokens();
        ObjectNode u = Json.obj()
                .put("prompt_tokens", p)
                .put("total_tokens", p + g.sent())
                .put("completion_tokens", g.sent());
        u.putNull("prompt_tokens_details");
        return u;
    }

    private ObjectNode models() {
        ObjectNode o = Json.obj().put("object", "list");
        ArrayNode data = o.putArray("data");
        ObjectNode m = data.addObject()
                .put("id", engine.spec().model())
                .put("object", "model")
                .put("created", engine.startedEpochSeconds())
                .put("owned_by", "vllm")
                .put("root", engine.modelPath());
        m.putNull("parent");
        m.put("max_model_len", engine.spec().ctx());
        ObjectNode perm = m.putArray("permission").addObject()
                .put("id", "modelperm-" + engine.spec().digest().substring(0, 32))
                .put("object", "model_permission")
                .put("created", engine.startedEpochSeconds())
                .put("allow_create_engine", false)
                .put("allow_sampling", true)
                .put("allow_logprobs", true)
                .put("allow_search_indices", false)
                .put("allow_view", true)
                .put("allow_fine_tuning", false)
                .put("organization", "*");
        perm.putNull("group");
        perm.put("is_blocking", false);
        return o;
    }

    private String metrics() {
        String label = "{model_name=\"" + engine.spec().model() + "\"}";
        int running = 0;
        for (Generation g : engine.slotTable()) {
            if (g != null) {
                running++;
            }
        }
        return "# HELP vllm:num_requests_running Number of requests currently running on GPU.\n"
                + "# TYPE vllm:num_requests_running gauge\n"
                + "vllm:num_requests_running" + label + " " + running + ".0\n"
                + "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n"
                + "# TYPE vllm:num_requests_waiting gauge\n"
                + "vllm:num_requests_waiting" + label + " " + engine.queuedCount() + ".0\n"
                + "# HELP vllm:prompt_tokens_total Number of prefill tokens processed.\n"
                + "# TYPE vllm:prompt_tokens_total counter\n"
                + "vllm:prompt_tokens_total" + label + " " + engine.promptTokensTotal() + ".0\n"
                + "# HELP vllm:generation_tokens_total Number of generation tokens processed.\n"
                + "# TYPE vllm:generation_tokens_total counter\n"
                + "vllm:generation_tokens_total" + label + " " + engine.tokensGenerated() + ".0\n";
    }

    @Override
    public void error(HttpServerResponse resp, Failure failure, int status, String message) {
        String type = switch (failure) {
            case LOADING, UNAVAILABLE, OVERLOADED -> "ServiceUnavailableError";
            case BAD_REQUEST -> "BadRequestError";
            case MODEL_NOT_FOUND -> "NotFoundError";
            case INTERNAL -> "InternalServerError";
        };
        ObjectNode o = Json.obj()
                .put("object", "error")
                .put("message", message)
                .put("type", type);
        o.putNull("param");
        o.put("code", status);
        Http.json(resp, status, o);
    }

    @Override
    public void notFound(HttpServerResponse resp) {
        Http.json(resp, 404, Json.obj().put("detail", "Not Found"));
    }
}
