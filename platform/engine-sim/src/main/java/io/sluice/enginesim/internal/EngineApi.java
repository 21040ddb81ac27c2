package io.sluice.enginesim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * One engine's HTTP protocol: its routes and the shape of its frames and errors. Runs on the
 * instance's event loop only.
 */
public abstract class EngineApi {

    protected final SimEngine engine;

    protected EngineApi(SimEngine engine) {
        this.engine = engine;
    }

    /** Handles a request; returns false when the path is not part of this protocol. */
    public abstract boolean handle(HttpServerRequest req, Buffer body);

    /** Content type of a streaming response. */
    public abstract String streamContentType();

    /** Frame for token {@code i}; {@code last} is true for the final token of a complete generation. */
    public abstract Buffer tokenFrame(Generation g, int i, String piece, boolean last);

    /** Frames after the last token (final frame, [DONE] ...); may be empty. */
    public abstract Buffer endFrames(Generation g);

    /** Whole body of a non-streaming answer. */
    public abstract JsonNode completeBody(Generation g);

    /** Answers a refused request with the engine's error status and body. */
    public abstract void error(HttpServerResponse resp, Failure failure, int status, String message);

    /** A frame that is not valid for the protocol (garbage fault). */
    public Buffer garbageFrame() {
        return Buffer.buffer("data: {\"content\":<<garbage from engine-sim>>\u0000\n\n");
    }

    /**
     * The frame(s) an engine sends when a request fails after its stream started (error_frame fault); each
     * protocol has its own shape.
     */
    public Buffer errorFrame(String message) {
        ObjectNode o = Json.obj();
        o.putObject("error").put("code", 500).put("message", message).put("type", "server_error");
        return Buffer.buffer(sse("data: ", o));
    }

    /** A body that is not valid JSON (garbage fault on a non-streaming request). */
    public Buffer garbageBody() {
        return Buffer.buffer("{\"garbage\": <<engine-sim invalid json");
    }

    /** The protocol's answer to a path it does not know. */
    public void notFound(HttpServerResponse resp) {
        Http.json(resp, 404, Json.obj().put("error", "Not Found"));
    }

    protected static String sse(String prefix, JsonNode node) {
        return prefix + Json.write(node) + "\n\n";
    }
}
