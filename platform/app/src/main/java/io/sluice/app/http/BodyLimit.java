package io.sluice.app.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * Refuses bodies above {@code sluice.http.max-body-bytes} with the typed {@code 400 INVALID_PARAMS} of the
 * contract (ADM-3) before any byte of them is read. Chunked bodies, which announce no length, are buffered
 * up to the same limit and refused with the same typed 400 once they pass it.
 */
@ApplicationScoped
public class BodyLimit {
    @Inject
    SluiceAppConfig config;

    @Inject
    ObjectMapper json;

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 1).handler(this::handle).failureHandler(this::tooLarge);
    }

    /** Bodies without a length that grow past Vert.x's own limit fail the route with 413: answer it typed. */
    private void tooLarge(RoutingContext ctx) {
        if (ctx.statusCode() == 413 && !ctx.response().headWritten()) {
            refuse(ctx, isPolicyUpload(ctx) ? config.http().maxUploadBytes() : config.http().maxBodyBytes());
            return;
        }
        ctx.next();
    }

    private void handle(RoutingContext ctx) {
        long max = isPolicyUpload(ctx) ? config.http().maxUploadBytes() : config.http().maxBodyBytes();
        String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            long n;
            try {
                n = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                n = Long.MAX_VALUE;
            }
            if (n > max) {
                refuse(ctx, max);
                return;
            }
        } else if (isChunkedNonMultipart(ctx)) {
            // No announced length: buffer the body up to the limit here (Quarkus REST then reads the buffered
            // body); past the limit the BodyHandler fails the route with 413, answered typed by tooLarge.
            BodyHandler.create(false).setBodyLimit(max).handle(ctx);
            return;
        }
        ctx.next();
    }

    private static boolean isChunkedNonMultipart(RoutingContext ctx) {
        String te = ctx.request().getHeader(HttpHeaders.TRANSFER_ENCODING);
        String ct = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        return te != null && te.toLowerCase(java.util.Locale.ROOT).contains("chunked")
                && (ct == null || !ct.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/"));
    }

    private static boolean isPolicyUpload(RoutingContext ctx) {
        String path = ctx.normalizedPath();
        return ctx.request().method() == io.vertx.core.http.HttpMethod.POST && path.startsWith("/v1/policies/") && path.endsWith("/versions");
    }

    private void refuse(RoutingContext ctx, long max) {
        SluiceError err = SluiceError.of(ErrorCode.INVALID_PARAMS, "request body is larger than the limit of " + max + " bytes")
                .withField("body")
                .withStage(AdmissionStage.VALIDATE);
        String body;
        try {
            body = json.writeValueAsString(ErrorBody.of(err, ctx.request().getHeader(CorrelationIds.HEADER)));
        } catch (Exception e) {
            body = "{\"code\":\"INVALID_PARAMS\",\"message\":\"request body too large\",\"retriable\":false}";
        }
        // The body is not read: close the connection after answering so the client stops sending it.
        ctx.response()
                .setStatusCode(400)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end(body);
    }
}
