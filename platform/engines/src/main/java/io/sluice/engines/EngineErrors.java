package io.sluice.engines;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.core.engine.EngineException;
import io.sluice.core.error.ErrorCode;
import io.vertx.core.http.HttpClosedException;
import java.io.IOException;
import java.net.ConnectException;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/**
 * Turns what an engine answered into one typed {@link EngineException}, the same way for every protocol.
 *
 * <p>Rules: a request the engine rejects as invalid (400, 413, 422; or an error whose type says so) is
 * INVALID_PARAMS, not retriable, because every replica would reject it the same way; a credential refused
 * (401, 403) or a model the replica does not serve (404) is POOL_UNAVAILABLE; overload (429) is
 * REPLICA_EXHAUSTED; 503 means the engine is not ready (POOL_UNREADY); any other failure is WORKER_RESET.
 * The engine's own message is kept, bounded in length, so an operator sees what the engine said; the
 * adapter never adds the prompt or the credential to it.
 */
final class EngineErrors {
    static final int MAX_MESSAGE_CHARS = 300;

    private EngineErrors() {}

    /** The engine's message and error type from an error body, in any of the shapes the four engines use. */
    record EngineError(String message, String type, int code) {}

    static EngineError parse(String body) {
        if (body == null || body.isBlank()) {
            return new EngineError("", null, -1);
        }
        JsonNode n;
        try {
            n = HttpEngineAdapter.JSON.readTree(body);
        } catch (IOException e) {
            return new EngineError(bounded(body.strip()), null, -1);
        }
        return parse(n);
    }

    static EngineError parse(JsonNode n) {
        if (n == null || !n.isObject()) {
            return new EngineError("", null, -1);
        }
        JsonNode err = n.get("error");
        if (err != null && err.isObject()) {
            // llama.cpp and current vLLM: {"error": {"code", "message", "type"}}
            return new EngineError(bounded(err.path("message").asText("")), text(err.get("type")), err.path("code").asInt(-1));
        }
        if (err != null && err.isTextual()) {
            // TGI {"error", "error_type"} and Triton {"error"}
            return new EngineError(bounded(err.asText()), text(n.get("error_type")), -1);
        }
        if ("error".equals(n.path("object").asText())) {
            // older vLLM: {"object": "error", "message", "type", "code"}
            return new EngineError(bounded(n.path("message").asText("")), text(n.get("type")), n.path("code").asInt(-1));
        }
        if (n.has("detail")) {
            return new EngineError(bounded(n.get("detail").toString()), null, -1);
        }
        return new EngineError("", null, -1);
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }

    static String bounded(String s) {
        String oneLine = s.replaceAll("[\\r\\n\\t]+", " ");
        return oneLine.length() <= MAX_MESSAGE_CHARS ? oneLine : oneLine.substring(0, MAX_MESSAGE_CHARS) + "…";
    }

    /** Whether an engine's error type names a request the engine will never accept. */
    static boolean isRejectionType(String type) {
        if (type == null) {
            return false;
        }
        String t = type.toLowerCase(Locale.ROOT);
        return t.contains("invalid_request") || t.contains("badrequest") || t.contains("exceed_context")
                || t.equals("validation") || t.contains("not_supported");
    }

    /** Maps a non-2xx answer to a generation or probe request. */
    static EngineException forStatus(String engine, String what, int status, String body) {
        EngineError e = parse(body);
        ErrorCode code;
        if (status == 400 || status == 413 || status == 422 || isRejectionType(e.type())) {
            code = ErrorCode.INVALID_PARAMS;
        } else if (status == 401 || status == 403) {
            code = ErrorCode.POOL_UNAVAILABLE;
        } else if (status == 404) {
            code = ErrorCode.POOL_UNAVAILABLE;
        } else if (status == 408 || status == 429) {
            code = ErrorCode.REPLICA_EXHAUSTED;
        } else if (status == 503) {
            code = ErrorCode.POOL_UNREADY;
        } else {
            code = ErrorCode.WORKER_RESET;
        }
        return forCode(code, engine, what + " answered HTTP " + status, e, status);
    }

    static EngineException forCode(ErrorCode code, String engine, String prefix, EngineError e, int status) {
        StringBuilder msg = new StringBuilder(engine).append(' ');
        if (code == ErrorCode.INVALID_PARAMS) {
            msg.append("rejected the request: ");
        }
        msg.append(prefix);
        if (e.type() != null) {
            msg.append(" (").append(e.type()).append(')');
        }
        if (status == 401 || status == 403) {
            msg.append(": the replica refused the credential; check its api_key");
        } else if (!e.message().isEmpty()) {
            msg.append(": ").append(e.message());
        }
        return new EngineException(code, msg.toString(), status, e.type(), null);
    }

    /** An error reported inside an otherwise good stream ({@code data: {"error": ...}}). */
    static EngineException midStream(String engine, JsonNode frame) {
        EngineError e = parse(frame);
        boolean rejected = isRejectionType(e.type()) || e.code() == 400 || e.code() == 422;
        ErrorCode code = rejected ? ErrorCode.INVALID_PARAMS : ErrorCode.WORKER_RESET;
        return forCode(code, engine, "reported an error mid-stream", e, -1);
    }

    /** A transport failure: refused connection, timeout, stream cut. */
    static EngineException transport(String engine, String what, Throwable err) {
        Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        if (cause instanceof EngineException ee) {
            return ee;
        }
        String reason;
        if (cause instanceof TimeoutException) {
            reason = "did not answer in time";
        } else if (cause instanceof ConnectException) {
            reason = "refused the connection";
        } else if (cause instanceof IOException || cause instanceof HttpClosedException) {
            // Typically "EOF reached while reading" or "connection reset": the engine died or dropped us.
            reason = "closed the connection";
        } else {
            reason = "failed (" + cause.getClass().getSimpleName() + ")";
        }
        return new EngineException(ErrorCode.WORKER_RESET, engine + " " + what + ": engine " + reason, cause);
    }
}
