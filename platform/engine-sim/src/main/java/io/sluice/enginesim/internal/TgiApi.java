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
 * Hugging Face TGI: {@code POST /generate}, {@code /generate_stream}, {@code /} (compat, by the
 * {@code stream} flag), {@code GET /health}, {@code /info}, {@code /metrics}. Stream frames are
 * {@code data:{...}} (no space, as TGI's router writes them); the last token's frame carries
 * {@code generated_text} and, if {@code parameters.details} is true, {@code details}. Errors use
 * {@code {"error","error_type"}}.
 */
final class TgiApi extends EngineApi {

    private static final int DEFAULT_MAX_NEW_TOKENS = 100;
    private static final int MAX_CONCURRENT_REQUESTS = 128;

    TgiApi(SimEngine engine) {
        super(engine);
    }

    @Override
    public boolean handle(HttpServerRequest req, Buffer body) {
        HttpServerResponse resp = req.response();
        HttpMethod m = req.method();
        switch (req.path()) {
            case "/health" -> {
                if (engine.health() == SimEngine.Health.READY) {
                    Http.empty(resp, 200);
                } else {
                    Http.json(resp, 503, Json.obj().put("error", "unhealthy").put("error_type", "healthcheck"));
                }
            }
            case "/info" -> Http.json(resp, 200, info());
            case "/metrics" -> Http.text(resp, 200, "text/plain; version=0.0.4", metrics());
            case "/generate" -> {
                if (m != HttpMethod.POST) {
                    return false;
                }
                generate(req, body, Boolean.FALSE, false);
            }
            case "/generate_stream" -> {
                if (m != HttpMethod.POST) {
                    return false;
                }
                generate(req, body, Boolean.TRUE, false);
            }
            case "/" -> {
                if (m != HttpMethod.POST) {
                    return false;
                }
                generate(req, body, null, true);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** {@code stream} null: decided by the body's {@code stream} flag (compat route). */
    private void generate(HttpServerRequest req, Buffer body, Boolean stream, boolean compatRoute) {
        HttpServerResponse resp = req.response();
        JsonNode n;
        try {
            n = Json.parse(body);
        } catch (IOException e) {
            error(resp, Failure.BAD_REQUEST, 422, "Failed to parse the request body as JSON: " + Json.reason(e));
            return;
        }
        JsonNode in = n.get("inputs");
        if (in == null || !in.isTextual()) {
            error(resp, Failure.BAD_REQUEST, 422,
                    "Failed to deserialize the JSON body into the target type: missing field `inputs`");
            return;
        }
        String prompt = in.asText();
        if (prompt.isEmpty()) {
            error(resp, Failure.BAD_REQUEST, 422, "Input validation error: `inputs` cannot be empty");
            return;
        }
        JsonNode params = n.path("parameters");
        JsonNode mnt = params.get("max_new_tokens");
        int max = mnt == null || mnt.isNull() ? DEFAULT_MAX_NEW_TOKENS : mnt.asInt();
        if (max <= 0) {
            error(resp, Failure.BAD_REQUEST, 422, "Input validation error: `max_new_tokens` must be strictly positive");
            return;
        }
        int promptTokens = DeterministicText.promptTokens(prompt);
        int ctx = engine.spec().ctx();
        if (promptTokens + max > ctx) {
            error(resp, Failure.BAD_REQUEST, 422, "Input validation error: `inputs` tokens + `max_new_tokens` must be <= "
                    + ctx + ". Given: " + promptTokens + " `inputs` tokens and " + max + " `max_new_tokens`");
            return;
        }
        String refused = tgiValidation(params);
        if (refused != null) {
            error(resp, Failure.BAD_REQUEST, 422, "Input validation error: " + refused);
            return;
        }
        SamplerKey sampler = SamplerKey.tgi(params);
        if (sampler.invalid() != null) {
            error(resp, Failure.BAD_REQUEST, 422, "Failed to deserialize the JSON body into the target type: " + sampler.invalid());
            return;
        }
        JsonNode seed = params.get("seed");
        boolean seedGiven = seed != null && !seed.isNull();
        boolean streaming = stream != null ? stream : n.path("stream").asBoolean(false);
        engine.submit(req, new GenRequest(
                prompt,
                promptTokens,
                max,
                max,
                seedGiven ? seed.asLong() : DeterministicText.DEFAULT_SEED,
                seedGiven,
                streaming,
                -1,
                params.path("temperature").asDouble(1.0),
                params.path("details").asBoolean(false),
                false,
                compatRoute && !streaming,
                n,
                sampler.key()));
    }

    /** TGI's own bounds on its sampling parameters (its router validates them before queueing), or null. */
    private static String tgiValidation(JsonNode params) {
        if (positive(params, "temperature") == Boolean.FALSE) {
            return "`temperature` must be strictly positive";
        }
        if (positive(params, "repetition_penalty") == Boolean.FALSE) {
            return "`repetition_penalty` must be strictly positive";
        }
        JsonNode fp = params.get("frequency_penalty");
        if (fp != null && fp.isNumber() && !(fp.asDouble() > -2.0 && fp.asDouble() <= 2.0)) {
            return "`frequency_penalty` must be >= -2.0 and <= 2.0";
        }
        JsonNode tp = params.get("top_p");
        if (tp != null && tp.isNumber() && !(tp.asDouble() > 0.0 && tp.asDouble() <= 1.0)) {
            return "`top_p` must be > 0.0 and < 1.0";
        }
        JsonNode tk = params.get("top_k");
        if (tk != null && tk.isNumber() && tk.asLong() <= 0) {
            return "`top_k` must be strictly positive";
        }
        return null;
    }

    /** Whether a present numeric member is above 0; null when absent. */
    private static Boolean positive(JsonNode params, String name) {
        JsonNode v = params.get(name);
        return v == null || !v.isNumber() ? null : v.asDouble() > 0;
    }

    @Override
    public String streamContentType() {
        return "text/event-stream";
    }

    private static ObjectNode token(Generation g, int i, String piece) {
        return Json.obj()
                .put("id", DeterministicText.tokenId(g.base(), i))
                .put("text", piece)
                .put("logprob", DeterministicText.logprob(g.base(), i))
                .put("special", false);
    }

    @Override
    public Buffer tokenFrame(Generation g, int i, String piece, boolean last) {
        ObjectNode o = Json.obj().put("index", i + 1);
        o.set("token", token(g, i, piece));
        if (last) {
            o.put("generated_text", g.text());
            if (g.request().details()) {
                ObjectNode d = o.putObject("details")
                        .put("finish_reason", "length")
                        .put("generated_tokens", g.sent());
                putSeed(d, g);
                d.put("input_length", g.request().promptTokens());
            } else {
                o.putNull("details");
            }
        } else {
            o.putNull("generated_text");
            o.putNull("details");
        }
        return Buffer.buffer(sse("data:", o));
    }

    @Override
    public Buffer endFrames(Generation g) {
        // TGI ends the stream with the last token's frame.
        return Buffer.buffer();
    }

    @Override
    public JsonNode completeBody(Generation g) {
        ObjectNode o = Json.obj().put("generated_text", g.text());
        if (g.request().details()) {
            ObjectNode d = o.putObject("details")
                    .put("finish_reason", "length")
                    .put("generated_tokens", g.sent());
            putSeed(d, g);
            d.putArray("prefill");
            ArrayNode tokens = d.putArray("tokens");
            for (int i = 0; i < g.sent(); i++) {
                tokens.add(token(g, i, DeterministicText.piece(g.base(), i)));
            }
        }
        if (g.request().arrayAnswer()) {
            return Json.arr().add(o);
        }
        return o;
    }

    private static void putSeed(ObjectNode d, Generation g) {
        if (g.request().seedGiven()) {
            d.put("seed", g.request().seed());
        } else {
            d.putNull("seed");
        }
    }

    @Override
    public Buffer errorFrame(String message) {
        ObjectNode o = Json.obj()
                .put("error", "Request failed during generation: Server error: " + message)
                .put("error_type", "generation");
        return Buffer.buffer(sse("data:", o));
    }

    @Override
    public Buffer garbageFrame() {
        return Buffer.buffer("data:{\"index\":<<garbage from engine-sim>>\u0000\n\n");
    }

    private ObjectNode info() {
        ObjectNode o = Json.obj()
                .put("model_id", engine.spec().model())
                .put("model_sha", engine.spec().digest())
                .put("model_dtype", "torch.float16")
                .put("model_device_type", "cuda")
                .put("model_pipeline_tag", "text-generation")
                .put("max_concurrent_requests", MAX_CONCURRENT_REQUESTS)
                .put("max_best_of", 2)
                .put("max_stop_sequences", 4)
                .put("max_input_tokens", engine.spec().ctx() - 1)
                .put("max_total_tokens", engine.spec().ctx())
                .put("validation_workers", 2)
                .put("max_client_batch_size", 4)
                .put("router", "text-generation-router")
                .put("version", engine.spec().engineVersion());
        o.putNull("sha");
        o.putNull("docker_label");
        return o;
    }

    private String metrics() {
        int running = 0;
        for (Generation g : engine.slotTable()) {
            if (g != null) {
                running++;
            }
        }
        return "# TYPE tgi_request_count counter\n"
                + "tgi_request_count " + engine.requestCount() + "\n"
                + "# TYPE tgi_request_success counter\n"
                + "tgi_request_success " + engine.completedCount() + "\n"
                + "# TYPE tgi_queue_size gauge\n"
                + "tgi_queue_size " + engine.queuedCount() + "\n"
                + "# TYPE tgi_batch_current_size gauge\n"
                + "tgi_batch_current_size " + running + "\n";
    }

    @Override
    public void error(HttpServerResponse resp, Failure failure, int status, String message) {
        String type;
        int code = status;
        switch (failure) {
            case OVERLOADED -> {
                type = "overloaded";
                code = 429;
                message = "Model is overloaded";
            }
            case LOADING, UNAVAILABLE -> type = "unhealthy";
            case BAD_REQUEST -> type = "validation";
            case MODEL_NOT_FOUND -> type = "not_found";
            default -> {
                type = "generation";
                message = "Request failed during generation: Server error: " + message;
            }
        }
        Http.json(resp, code, Json.obj().put("error", message).put("error_type", type));
    }

    @Override
    public void notFound(HttpServerResponse resp) {
        Http.empty(resp, 404);
    }
}
