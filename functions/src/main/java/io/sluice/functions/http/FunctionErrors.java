package io.sluice.functions.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Answers every failed invocation with the platform's error body ({@code code}, {@code message}, {@code retriable},
 * {@code field}, {@code retry_after_ms}) and the code's HTTP status, for plain HTTP and CloudEvent calls alike. Funqy
 * itself fails the request with the thrown exception (or 400 for an input it cannot read); without this handler the
 * caller would get an empty 500.
 */
@ApplicationScoped
public class FunctionErrors {
    private static final Logger LOG = Logger.getLogger(FunctionErrors.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).failureHandler(this::answer);
    }

    private void answer(RoutingContext ctx) {
        if (ctx.response().headWritten()) {
            ctx.next();
            return;
        }
        SluiceError error = errorOf(ctx.failure(), ctx.statusCode());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", error.code().name());
        body.put("message", error.message());
        body.put("retriable", error.retriable());
        if (error.field() != null) {
            body.put("field", error.field());
        }
        if (error.retryAfterMs() != null) {
            body.put("retry_after_ms", error.retryAfterMs());
        }
        String text;
        try {
            text = JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            text = "{\"code\":\"INTERNAL\",\"message\":\"error body could not be written\",\"retriable\":true}";
        }
        ctx.response().setStatusCode(error.code().httpStatus()).putHeader("Content-Type", "application/json").end(text);
    }

    static SluiceError errorOf(Throwable failure, int status) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SluiceException se) {
                return se.error();
            }
            if (t instanceof com.fasterxml.jackson.core.JacksonException je) {
                return SluiceError.of(ErrorCode.INVALID_PARAMS, "the input is not valid JSON for this function: " + je.getOriginalMessage());
            }
        }
        if (status == 400) {
            return SluiceError.of(ErrorCode.INVALID_PARAMS, "the input is not valid JSON for this function");
        }
        if (status == 404) {
            return SluiceError.of(ErrorCode.NOT_FOUND, "no function answers this path or CloudEvent type");
        }
        if (status == 405 || status == 406) {
            return SluiceError.of(ErrorCode.INVALID_PARAMS, "functions are called with POST and a JSON body or a CloudEvent");
        }
        LOG.errorf(failure, "function failed");
        return SluiceError.of(ErrorCode.INTERNAL, "the function failed; see its log");
    }
}
