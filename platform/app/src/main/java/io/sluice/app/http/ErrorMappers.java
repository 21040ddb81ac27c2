package io.sluice.app.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import jakarta.ws.rs.NotAcceptableException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.NotSupportedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The one place where failures become HTTP answers (STYLE habit 7): every answer carries the contract's
 * {@code Error} body with a stable code, and 429/503 carry the retry headers of ADM-5. Internal failures
 * are logged with the correlation id and answered without internals.
 */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    /** Builds the answer for a typed error, including ADM-5 headers where the status calls for them. */
    public static Response toResponse(SluiceError e, String correlationId) {
        int status = statusOf(e);
        Response.ResponseBuilder rb = Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(ErrorBody.of(e, correlationId));
        if (status == 429 || status == 503) {
            long retryMs = e.retryAfterMs() == null ? 1_000 : Math.max(0, e.retryAfterMs());
            rb.header("Retry-After", Math.max(1, (retryMs + 999) / 1000));
            rb.header("X-Backoff-Ms", retryMs);
        }
        if (status == 401) {
            rb.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"sluice\"");
        }
        return rb.build();
    }

    /** Writes the answer for a typed error straight to a Vert.x response (routes outside JAX-RS). */
    public static void write(
            io.vertx.core.http.HttpServerResponse resp, SluiceError e, String correlationId, com.fasterxml.jackson.databind.ObjectMapper json) {
        Response r = toResponse(e, correlationId);
        resp.setStatusCode(r.getStatus());
        r.getStringHeaders().forEach((name, values) -> values.forEach(v -> resp.putHeader(name, v)));
        resp.putHeader(HttpHeaders.CONTENT_TYPE, MediaType.APPLICATION_JSON);
        try {
            resp.end(json.writeValueAsString(r.getEntity()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Answers the failure of a Vert.x route with the contract's error body; a response already begun (a stream) is
     * reset instead, so the client sees a broken answer rather than a garbled one.
     */
    public static void writeFailure(
            io.vertx.core.http.HttpServerResponse resp, Throwable failure, String correlationId, com.fasterxml.jackson.databind.ObjectMapper json) {
        SluiceError error = ofFailure(failure, correlationId);
        if (resp.headWritten()) {
            resp.reset();
            return;
        }
        write(resp, error, correlationId, json);
    }

    /** The typed error of a route's failure; anything untyped is an internal error, logged with the correlation id. */
    public static SluiceError ofFailure(Throwable failure, String correlationId) {
        Throwable e = failure;
        while (e instanceof java.util.concurrent.CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof SluiceException se) {
            return se.error();
        }
        if (e instanceof AuthenticationFailedException) {
            return SluiceError.of(ErrorCode.UNAUTHENTICATED, "a valid bearer token is required").withStage(AdmissionStage.AUTHENTICATE);
        }
        LOG.errorf(e, "internal error (correlation id %s)", correlationId);
        return SluiceError.of(ErrorCode.INTERNAL, "internal error; quote correlation id " + correlationId);
    }

    /** HTTP status of a typed error, as fixed in the contract. */
    public static int statusOf(SluiceError e) {
        if (e.code() == ErrorCode.DEADLINE_UNMET && e.fitsAtMs() == null) {
            return 422; // even an idle pool could not make it
        }
        return e.code().httpStatus();
    }

    @ServerExceptionMapper
    public Response sluice(SluiceException e, HttpHeaders headers) {
        return toResponse(e.error(), correlationId(headers));
    }

    @ServerExceptionMapper({AuthenticationFailedException.class, UnauthorizedException.class})
    public Response unauthenticated(RuntimeException e, HttpHeaders headers) {
        return toResponse(SluiceError.of(ErrorCode.UNAUTHENTICATED, "a valid bearer token is required")
                .withStage(AdmissionStage.AUTHENTICATE), correlationId(headers));
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e, HttpHeaders headers) {
        return toResponse(SluiceError.of(ErrorCode.FORBIDDEN, "the token's role does not allow this operation")
                .withStage(AdmissionStage.AUTHENTICATE), correlationId(headers));
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e, HttpHeaders headers) {
        return toResponse(SluiceError.of(ErrorCode.NOT_FOUND, "no such resource"), correlationId(headers));
    }

    @ServerExceptionMapper
    public Response notAllowed(NotAllowedException e, HttpHeaders headers) {
        return toResponse(SluiceError.of(ErrorCode.NOT_FOUND, "no such operation on this path"), correlationId(headers));
    }

    @ServerExceptionMapper
    public Response unsupportedMedia(NotSupportedException e, HttpHeaders headers) {
        return toResponse(SluiceException.invalid("header.content-type", "unsupported Content-Type for this operation").error(),
                correlationId(headers));
    }

    @ServerExceptionMapper
    public Response notAcceptable(NotAcceptableException e, HttpHeaders headers) {
        return toResponse(SluiceException.invalid("header.accept", "this operation cannot answer in the requested media type").error(),
                correlationId(headers));
    }

    // One mapper per Jackson failure type, so that none of the framework's own (more specific) mappers answers instead.

    @ServerExceptionMapper
    public Response unrecognized(UnrecognizedPropertyException e, HttpHeaders headers) {
        return toResponse(ofJson(e), correlationId(headers));
    }

    @ServerExceptionMapper
    public Response invalidFormat(InvalidFormatException e, HttpHeaders headers) {
        return toResponse(ofJson(e), correlationId(headers));
    }

    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException e, HttpHeaders headers) {
        return toResponse(ofJson(e), correlationId(headers));
    }

    @ServerExceptionMapper
    public Response mapping(JsonMappingException e, HttpHeaders headers) {
        return toResponse(ofJson(e), correlationId(headers));
    }

    @ServerExceptionMapper
    public Response malformed(JsonProcessingException e, HttpHeaders headers) {
        return toResponse(ofJson(e), correlationId(headers));
    }

    /**
     * The typed {@code 400 INVALID_PARAMS} of a request body Jackson could not read, naming the offending member; for
     * JAX-RS resources (through the mapper above) and Vert.x routes alike.
     */
    public static SluiceError ofJson(JsonProcessingException e) {
        if (e instanceof UnrecognizedPropertyException u) {
            return SluiceException.invalid(path(u), "unknown member '" + u.getPropertyName() + "'").error();
        }
        if (e instanceof InvalidFormatException f) {
            return SluiceException.invalid(path(f), path(f) + " has the wrong type or format").error();
        }
        if (e instanceof MismatchedInputException m) {
            String p = path(m);
            return SluiceException.invalid(p, p.equals("body") ? "request body must be a JSON object" : p + " has the wrong type").error();
        }
        if (e instanceof JsonMappingException m) {
            String p = path(m);
            return SluiceException.invalid(p, p + " is invalid").error();
        }
        // Malformed JSON, invalid UTF-8, duplicate keys and numbers out of range; no offsets or input excerpts are
        // echoed back (they could contain prompt text, SEC-4).
        return SluiceException.invalid("body", "request body is not valid JSON (UTF-8)").error();
    }

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 100)
    public Response web(WebApplicationException e, HttpHeaders headers) {
        Throwable cause = e.getCause();
        if (cause instanceof JsonProcessingException jpe) {
            return malformed(jpe, headers);
        }
        int status = e.getResponse() == null ? 500 : e.getResponse().getStatus();
        SluiceError err = switch (status) {
            case 400 -> SluiceException.invalid("body", "malformed request").error();
            case 401 -> SluiceError.of(ErrorCode.UNAUTHENTICATED, "a valid bearer token is required");
            case 403 -> SluiceError.of(ErrorCode.FORBIDDEN, "the token's role does not allow this operation");
            case 404, 405 -> SluiceError.of(ErrorCode.NOT_FOUND, "no such resource");
            case 413 -> SluiceException.invalid("body", "request body is too large").error();
            case 406, 415 -> SluiceException.invalid("header.content-type", "unsupported media type").error();
            default -> null;
        };
        if (err == null) {
            return internal(e, headers);
        }
        return toResponse(err, correlationId(headers));
    }

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 200)
    public Response internal(Throwable e, HttpHeaders headers) {
        String cid = correlationId(headers);
        LOG.errorf(e, "internal error (correlation id %s)", cid);
        return toResponse(SluiceError.of(ErrorCode.INTERNAL, "internal error; quote correlation id " + cid), cid);
    }

    private static String correlationId(HttpHeaders headers) {
        return headers == null ? null : headers.getHeaderString(CorrelationIds.HEADER);
    }

    /** Dotted path of the offending member, as the contract's {@code field} wants it. */
    public static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            } else if (r.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            }
        }
        return sb.isEmpty() ? "body" : sb.toString();
    }
}
