package io.sluice.enginesim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/** Small response helpers. */
public final class Http {

    private Http() {}

    public static void json(HttpServerResponse resp, int status, JsonNode body) {
        if (resp.ended() || resp.closed()) {
            return;
        }
        resp.setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .end(Json.buffer(body));
    }

    public static void text(HttpServerResponse resp, int status, String contentType, String body) {
        if (resp.ended() || resp.closed()) {
            return;
        }
        resp.setStatusCode(status).putHeader("Content-Type", contentType).end(Buffer.buffer(body));
    }

    public static void empty(HttpServerResponse resp, int status) {
        if (resp.ended() || resp.closed()) {
            return;
        }
        resp.setStatusCode(status).putHeader("Content-Length", "0").end();
    }
}
