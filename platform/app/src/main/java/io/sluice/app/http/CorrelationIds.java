package io.sluice.app.http;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Gives every request a correlation id (SPEC ADM-6): the caller's {@code X-Correlation-Id} when it is a sane
 * token, otherwise a new UUID. The id is written back into the request headers, so every layer (JAX-RS,
 * exception mappers, logs) reads the same value, and onto the response before anything else writes it.
 */
@ApplicationScoped
public class CorrelationIds {
    public static final String HEADER = "X-Correlation-Id";
    private static final Pattern SAFE = Pattern.compile("^[A-Za-z0-9._:@/+=-]{1,128}$");

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(this::handle);
    }

    private void handle(RoutingContext ctx) {
        String given = ctx.request().getHeader(HEADER);
        String id = given != null && SAFE.matcher(given).matches() ? given : UUID.randomUUID().toString();
        ctx.request().headers().set(HEADER, id);
        ctx.response().putHeader(HEADER, id);
        // Quarkus keeps the MDC in the request's Vert.x context, so every line logged for this request carries the id.
        org.jboss.logging.MDC.put(io.sluice.app.observability.StructuredLog.CORRELATION_ID, id);
        ctx.next();
    }
}
