package io.sluice.app.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.app.http.ErrorMappers;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.vertx.core.http.HttpServerResponse;
import java.util.Locale;

/**
 * Sluice's typed errors in OpenAI's shape (ADR 0013): {@code {"error":{"message","type","param","code"}}}. The HTTP
 * status stays the one the contract fixes for the Sluice code, so clients' status-based error classes and retries
 * behave as they do against OpenAI; {@code code} carries the Sluice code in lower case (except OpenAI's own
 * {@code model_not_found} and {@code invalid_api_key}), so nothing typed is lost; {@code param} names the OpenAI
 * member, not the task field. 429 and 503 carry {@code Retry-After}, {@code retry-after-ms} (read first by OpenAI's
 * clients) and {@code X-Backoff-Ms}; every error carries {@code x-should-retry} from the code's {@code retriable}, so
 * that clients, which retry 409 by default, do not retry a conflict that cannot succeed.
 */
final class OpenAiErrors {
    private OpenAiErrors() {}

    /** How task fields are named in the request the client sent. */
    record Params(String prompt, String maxTokens) {
        static final Params CHAT = new Params("messages", "max_tokens");
        static final Params CHAT_MAX_COMPLETION = new Params("messages", "max_completion_tokens");
        static final Params COMPLETION = new Params("prompt", "max_tokens");
        static final Params NONE = new Params(null, null);
    }

    static void write(HttpServerResponse resp, SluiceError e, String correlationId, Params params, ObjectMapper json) {
        int status = ErrorMappers.statusOf(e);
        resp.setStatusCode(status).putHeader("Content-Type", "application/json");
        resp.putHeader("x-should-retry", Boolean.toString(e.retriable()));
        if (status == 429 || status == 503) {
            long retryMs = e.retryAfterMs() == null ? 1_000 : Math.max(0, e.retryAfterMs());
            resp.putHeader("Retry-After", Long.toString(Math.max(1, (retryMs + 999) / 1000)));
            resp.putHeader("retry-after-ms", Long.toString(retryMs));
            resp.putHeader("X-Backoff-Ms", Long.toString(retryMs));
        }
        if (status == 401) {
            resp.putHeader("WWW-Authenticate", "Bearer realm=\"sluice\"");
        }
        resp.end(body(e, correlationId, params, json));
    }

    /** The JSON error body (also the data of a stream's error frame). */
    static String body(SluiceError e, String correlationId, Params params, ObjectMapper json) {
        int status = ErrorMappers.statusOf(e);
        String message = e.message();
        if (e.code() == ErrorCode.INTERNAL && correlationId != null && !message.contains(correlationId)) {
            message = message + " (correlation id " + correlationId + ")";
        }
        try {
            return json.writeValueAsString(new OpenAiDtos.ErrorEnvelope(
                    new OpenAiDtos.ErrorObject(message, type(status), param(e.field(), params), code(e))));
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    static String type(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 429 -> "rate_limit_error";
            default -> status >= 500 ? "server_error" : "invalid_request_error";
        };
    }

    static String code(SluiceError e) {
        if (e.code() == ErrorCode.NOT_FOUND && ("model_ref".equals(e.field()) || e.stage() == AdmissionStage.RESOLVE_MODEL)) {
            return "model_not_found";
        }
        if (e.code() == ErrorCode.UNAUTHENTICATED) {
            return "invalid_api_key";
        }
        return e.code().name().toLowerCase(Locale.ROOT);
    }

    /** The OpenAI member a task field came from; null when it came from no member (a header, the whole body). */
    static String param(String field, Params p) {
        if (field == null || field.equals("body")) {
            return null;
        }
        return switch (field) {
            case "model_ref" -> "model";
            case "prompt" -> p.prompt();
            case "max_tokens" -> p.maxTokens() == null ? field : p.maxTokens();
            case "labels.openai_user", "labels" -> "user";
            case "seed" -> "seed";
            case "session_id" -> "header." + OpenAiRoute.SESSION_HEADER;
            case "deadline_ms" -> "header." + OpenAiRoute.DEADLINE_HEADER;
            // The task's sampling members carry OpenAI's names (temperature, top_p, presence_penalty, frequency_penalty).
            default -> field.startsWith("sampling.") ? field.substring("sampling.".length()) : field;
        };
    }
}
