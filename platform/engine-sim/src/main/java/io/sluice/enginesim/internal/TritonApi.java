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
 * NVIDIA Triton (KServe v2 HTTP plus the generate and model-repository extensions):
 * {@code GET /v2}, {@code /v2/health/live|ready}, {@code /v2/models/{m}[/versions/{v}]},
 * {@code .../ready}, {@code .../config}, {@code POST .../generate}, {@code .../generate_stream},
 * {@code POST /v2/repository/index}, {@code /v2/repository/models/{m}/load|unload}.
 * Errors use {@code {"error": "..."}}; health and ready answer 200 or 400 with an empty body.
 */
final class TritonApi extends EngineApi {

    private static final int DEFAULT_MAX_TOKENS = 16;
    private static final String VERSION = "1";

    TritonApi(SimEngine engine) {
        super(engine);
    }

    @Override
    public boolean handle(HttpServerRequest req, Buffer body) {
        String path = req.path();
        HttpServerResponse resp = req.response();
        HttpMethod m = req.method();
        if (path.equals("/v2") || path.equals("/v2/")) {
            ObjectNode o = Json.obj().put("name", "triton").put("version", engine.spec().engineVersion());
            ArrayNode ext = o.putArray("extensions");
            for (String e : new String[] {"classification", "sequence", "model_repository",
                    "model_repository(unload_dependents)", "schedule_policy", "model_configuration",
                    "system_shared_memory", "cuda_shared_memory", "binary_tensor_data", "parameters",
                    "statistics", "trace", "logging", "generate"}) {
                ext.add(e);
            }
            Http.json(resp, 200, o);
            return true;
        }
        if (path.equals("/v2/health/live")) {
            Http.empty(resp, 200);
            return true;
        }
        if (path.equals("/v2/health/ready")) {
            // Strict readiness: the server is ready only when every model is.
            Http.empty(resp, engine.health() == SimEngine.Health.READY ? 200 : 400);
            return true;
        }
        if (path.equals("/v2/repository/index")) {
            if (m != HttpMethod.POST) {
                return false;
            }
            index(resp, body);
            return true;
        }
        String[] parts = path.substring(1).split("/");
        // v2 repository models {m} load|unload
        if (parts.length == 5 && parts[1].equals("repository") && parts[2].equals("models")) {
            if (m != HttpMethod.POST) {
                return false;
            }
            switch (parts[4]) {
                case "load" -> load(resp, parts[3]);
                case "unload" -> unload(resp, parts[3]);
                default -> {
                    return false;
                }
            }
            return true;
        }
        if (parts.length < 3 || !parts[1].equals("models")) {
            return false;
        }
        String model = parts[2];
        int rest = 3;
        if (parts.length >= 5 && parts[3].equals("versions")) {
            if (!parts[4].equals(VERSION)) {
                error(resp, Failure.MODEL_NOT_FOUND, 404,
                        "Request for unknown model: '" + model + "' version " + parts[4] + " is not found");
                return true;
            }
            rest = 5;
        }
        String action = parts.length > rest ? parts[rest] : "";
        if (parts.length > rest + 1) {
            return false;
        }
        if (!model.equals(engine.spec().model())) {
            if (action.equals("ready")) {
                Http.empty(resp, 400);
            } else {
                error(resp, Failure.MODEL_NOT_FOUND, 404, "Request for unknown model: '" + model + "' is not found");
            }
            return true;
        }
        switch (action) {
            case "" -> {
                if (!available(resp)) {
                    return true;
                }
                Http.json(resp, 200, metadata());
            }
            case "ready" -> Http.empty(resp, engine.health() == SimEngine.Health.READY ? 200 : 400);
            case "config" -> {
                if (!available(resp)) {
                    return true;
                }
                Http.json(resp, 200, config());
            }
            case "generate", "generate_stream" -> {
                if (m != HttpMethod.POST) {
                    return false;
                }
                generate(req, body, action.equals("generate_stream"));
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private boolean available(HttpServerResponse resp) {
        if (engine.health() == SimEngine.Health.READY) {
            return true;
        }
        error(resp, Failure.UNAVAILABLE, 404, noVersions());
        return false;
    }

    private String noVersions() {
        return "Request for unknown model: '" + engine.spec().model() + "' has no available versions";
    }

    private void generate(HttpServerRequest req, Buffer body, boolean stream) {
        HttpServerResponse resp = req.response();
        JsonNode n;
        try {
            n = Json.parse(body);
        } catch (IOException e) {
            error(resp, Failure.BAD_REQUEST, 400, "failed to parse the request JSON buffer: " + Json.reason(e));
            return;
        }
        JsonNode in = n.get("text_input");
        if (in == null || !in.isTextual()) {
            error(resp, Failure.BAD_REQUEST, 400, "expected 1 inputs but got 0 inputs for model '"
                    + engine.spec().model() + "'. Got input(s) [], but missing required input(s) ['text_input']."
                    + " Please provide all required input(s).");
            return;
        }
        JsonNode params = n.path("parameters");
        // The vLLM backend takes sampling settings under "parameters", TensorRT-LLM ensembles as top-level
        // inputs: accept both.
        JsonNode mt = params.has("max_tokens") ? params.get("max_tokens") : n.get("max_tokens");
        int max = mt == null || mt.isNull() ? DEFAULT_MAX_TOKENS : mt.asInt();
        if (max < 1) {
            error(resp, Failure.BAD_REQUEST, 400, "max_tokens must be at least 1, got " + max);
            return;
        }
        String prompt = in.asText();
        int promptTokens = DeterministicText.promptTokens(prompt);
        max = Math.min(max, Math.max(1, engine.spec().ctx() - promptTokens));
        JsonNode seed = params.has("seed") ? params.get("seed") : n.has("seed") ? n.get("seed") : n.get("random_seed");
        boolean seedGiven = seed != null && !seed.isNull();
        JsonNode temp = params.has("temperature") ? params.get("temperature") : n.path("temperature");
        // Sampling settings come in "parameters" (vLLM backend) or as input tensors (TensorRT-LLM), as max_tokens does.
        SamplerKey sampler = n.has("parameters") ? SamplerKey.vllm(params) : SamplerKey.tritonTensors(n);
        if (sampler.invalid() != null) {
            error(resp, Failure.BAD_REQUEST, 400, sampler.invalid());
            return;
        }
        engine.submit(req, new GenRequest(
                prompt,
                promptTokens,
                max,
                max,
                seedGiven ? seed.asLong() : DeterministicText.DEFAULT_SEED,
                seedGiven,
                stream,
                -1,
                temp.asDouble(1.0),
                false,
                false,
                false,
                n,
                sampler.key()));
    }

    @Override
    public String streamContentType() {
        return "text/event-stream; charset=utf-8";
    }

    private ObjectNode output(String text) {
        return Json.obj()
                .put("model_name", engine.spec().model())
                .put("model_version", VERSION)
                .put("text_output", text);
    }

    @Override
    public Buffer tokenFrame(Generation g, int i, String piece, boolean last) {
        return Buffer.buffer(sse("data: ", output(piece)));
    }

    @Override
    public Buffer endFrames(Generation g) {
        // Triton closes the stream after the last response; there is no terminator frame.
        return Buffer.buffer();
    }

    @Override
    public JsonNode completeBody(Generation g) {
        return output(g.text());
    }

    @Override
    public Buffer errorFrame(String message) {
        return Buffer.buffer(sse("data: ", Json.obj().put("error", message)));
    }

    @Override
    public Buffer garbageFrame() {
        return Buffer.buffer("data: {\"model_name\":<<garbage from engine-sim>>\u0000\n\n");
    }

    private ObjectNode metadata() {
        ObjectNode o = Json.obj().put("name", engine.spec().model());
        o.putArray("versions").add(VERSION);
        o.put("platform", "python");
        ArrayNode inputs = o.putArray("inputs");
        tensor(inputs, "text_input", "BYTES");
        tensor(inputs, "max_tokens", "INT32");
        tensor(inputs, "seed", "UINT64");
        tensor(inputs, "stream", "BOOL");
        // The optional sampling inputs of a TensorRT-LLM ensemble (its stock config has no min_p).
        tensor(inputs, "temperature", "FP32");
        tensor(inputs, "top_k", "UINT32");
        tensor(inputs, "top_p", "FP32");
        tensor(inputs, "presence_penalty", "FP32");
        tensor(inputs, "frequency_penalty", "FP32");
        tensor(inputs, "repetition_penalty", "FP32");
        ArrayNode outputs = o.putArray("outputs");
        outputs.addObject().put("name", "text_output").put("datatype", "BYTES").putArray("shape").add(-1);
        return o;
    }

    private static void tensor(ArrayNode a, String name, String type) {
        a.addObject().put("name", name).put("datatype", type).putArray("shape").add(1);
    }

    private ObjectNode config() {
        ObjectNode o = Json.obj()
                .put("name", engine.spec().model())
                .put("platform", "")
                .put("backend", "python")
                .put("max_batch_size", 0);
        o.putObject("model_transaction_policy").put("decoupled", true);
        ObjectNode group = o.putArray("instance_group").addObject()
                .put("name", engine.spec().model() + "_0")
                .put("count", engine.spec().slots());
        if (engine.spec().gpus() == null) {
            group.put("kind", "KIND_MODEL");
        } else {
            group.put("kind", "KIND_GPU");
            engine.spec().gpus().forEach(group.putArray("gpus")::add);
        }
        ObjectNode params = o.putObject("parameters");
        // Where a deployment would record what it loaded; the simulator reports its digest here.
        params.putObject("model_digest").put("string_value", engine.spec().digest());
        params.putObject("max_model_len").put("string_value", Integer.toString(engine.spec().ctx()));
        return o;
    }

    private void index(HttpServerResponse resp, Buffer body) {
        boolean readyOnly;
        try {
            readyOnly = Json.parse(body).path("ready").asBoolean(false);
        } catch (IOException e) {
            error(resp, Failure.BAD_REQUEST, 400, "failed to parse the request JSON buffer: " + Json.reason(e));
            return;
        }
        ArrayNode a = Json.arr();
        SimEngine.Health h = engine.health();
        if (!readyOnly || h == SimEngine.Health.READY) {
            ObjectNode e = a.addObject().put("name", engine.spec().model()).put("version", VERSION);
            switch (h) {
                case READY -> e.put("state", "READY");
                case LOADING -> e.put("state", "LOADING");
                case UNAVAILABLE -> e.put("state", "UNAVAILABLE").put("reason", engine.unavailableReason());
            }
        }
        Http.json(resp, 200, a);
    }

    private void load(HttpServerResponse resp, String model) {
        if (!model.equals(engine.spec().model())) {
            error(resp, Failure.BAD_REQUEST, 400, "failed to load '" + model + "', failed to poll from model repository");
            return;
        }
        engine.loadModel(err -> {
            if (err == null) {
                Http.empty(resp, 200);
            } else {
                error(resp, Failure.BAD_REQUEST, 400, err);
            }
        });
    }

    private void unload(HttpServerResponse resp, String model) {
        if (!model.equals(engine.spec().model())) {
            error(resp, Failure.BAD_REQUEST, 400, "failed to unload '" + model + "', no model with that name is loaded");
            return;
        }
        engine.unloadModel();
        Http.empty(resp, 200);
    }

    @Override
    public void error(HttpServerResponse resp, Failure failure, int status, String message) {
        int code = status;
        String text = message;
        if (failure == Failure.UNAVAILABLE || failure == Failure.LOADING) {
            // A model that is not READY has no version to serve: Triton answers NOT_FOUND.
            code = 404;
            text = noVersions();
        } else if (failure == Failure.OVERLOADED) {
            code = 503;
            text = "Exceeds maximum queue size";
        }
        Http.json(resp, code, Json.obj().put("error", text));
    }

    @Override
    public void notFound(HttpServerResponse resp) {
        Http.json(resp, 404, Json.obj().put("error", "Not Found"));
    }
}
