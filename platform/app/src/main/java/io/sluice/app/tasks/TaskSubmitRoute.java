package io.sluice.app.tasks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.app.http.CorrelationIds;
import io.sluice.app.http.ErrorMappers;
import io.sluice.app.observability.TaskMetrics;
import io.sluice.app.security.Caller;
import io.sluice.app.security.IdentityMap;
import io.sluice.app.sessions.SessionBudgets;
import io.sluice.app.sessions.SessionFigures;
import io.sluice.core.error.SluiceException;
import io.sluice.core.task.TaskRequest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletionException;

/**
 * {@code POST /v1/tasks} (SPEC ADM-1..8), served by a Vert.x route rather than a JAX-RS resource: admission is the
 * request Sluice answers most often, and the resource's per-request machinery — the request context and the
 * {@code Caller} bean, the security interceptor, context propagation around the returned stage, the response
 * writer — cost more than the admission's own work (ADR 0023). What the contract says of the operation is kept: the
 * tenant role, JSON in and out ({@code 400 INVALID_PARAMS} naming the header otherwise), a strict body parse whose
 * failures name the member, typed errors with the ADM-5 retry headers, {@code 202} with the session's
 * {@code X-Budget-*} headers.
 *
 * <p>Threads: everything runs on the connection's event loop and never blocks; a tenant policy runs on a worker, as
 * {@link TaskService#submit} decides.
 */
@ApplicationScoped
public class TaskSubmitRoute {
    static final String PATH = "/v1/tasks";

    @Inject
    TaskService service;

    @Inject
    TaskLifecycle lifecycle;

    @Inject
    TaskMetrics metrics;

    @Inject
    ObjectMapper json;

    @Inject
    SluiceAppConfig config;

    @Inject
    IdentityMap identities;

    /** Registers the route without creating the route's bean before the start-up checks ran (as the stream does). */
    @ApplicationScoped
    static class Installer {
        @Inject
        jakarta.enterprise.inject.Instance<TaskSubmitRoute> route;

        @Inject
        SluiceAppConfig config;

        private volatile TaskSubmitRoute resolved;

        void install(@Observes Router router) {
            // Reads the body (up to the limit BodyLimit enforces) before the handler runs; a body BodyLimit already
            // read is not read again.
            router.post(PATH).handler(BodyHandler.create(false).setBodyLimit(config.http().maxBodyBytes()))
                    .handler(rc -> target().submit(rc));
        }

        private TaskSubmitRoute target() {
            TaskSubmitRoute r = resolved;
            if (r == null) {
                r = route.get();
                resolved = r;
            }
            return r;
        }
    }

    void submit(RoutingContext rc) {
        String correlationId = rc.request().getHeader(CorrelationIds.HEADER);
        Buffer body = rc.body().buffer();
        QuarkusHttpUser.getSecurityIdentity(rc, null).subscribe().with(identity -> {
            try {
                admit(rc, authorise(identity), body, correlationId);
            } catch (RuntimeException e) {
                fail(rc, e, correlationId);
            }
        }, err -> fail(rc, err, correlationId));
    }

    private String authorise(SecurityIdentity identity) {
        if (identity == null || identity.isAnonymous()) {
            throw new AuthenticationFailedException();
        }
        return Caller.tenantIdOf(identity, config, identities);
    }

    private void admit(RoutingContext rc, String tenant, Buffer body, String correlationId) {
        requireJson(rc);
        TaskRequest request = parse(body);
        UUID taskId = parseTaskId(request.taskId());
        if (taskId != null) {
            lifecycle.correlate(taskId, correlationId);
        }
        java.util.concurrent.CompletionStage<TaskService.Submitted> submitted;
        try {
            submitted = service.submit(request, tenant);
        } catch (SluiceException e) {
            metrics.rejected(e.error().code());
            if (taskId != null) {
                lifecycle.forget(taskId);
            }
            throw e;
        }
        submitted.whenComplete((s, e) -> {
            // A refused or replayed submission leaves no live task whose lines would use (and then drop) the id.
            if (taskId != null && service.liveRun(taskId, tenant).isEmpty()) {
                lifecycle.forget(taskId);
            }
            if (e != null) {
                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                if (cause instanceof SluiceException se) {
                    metrics.rejected(se.error().code());
                }
                fail(rc, cause, correlationId);
                return;
            }
            accepted(rc, s, correlationId);
        });
    }

    private void accepted(RoutingContext rc, TaskService.Submitted s, String correlationId) {
        String answer;
        try {
            answer = json.writeValueAsString(s.accepted());
        } catch (JsonProcessingException e) {
            fail(rc, e, correlationId);
            return;
        }
        HttpServerResponse resp = rc.response().setStatusCode(202).putHeader("Content-Type", "application/json");
        SessionFigures session = s.session();
        if (session != null) {
            if (session.tokensRemaining() != null) {
                resp.putHeader(SessionBudgets.TOKENS_HEADER, Long.toString(Math.max(0, session.tokensRemaining())));
            }
            if (session.timeRemainingMs() != null) {
                resp.putHeader(SessionBudgets.TIME_HEADER, Long.toString(Math.max(0, session.timeRemainingMs())));
            }
            if (session.costRemaining() != null) {
                resp.putHeader(SessionBudgets.COST_HEADER, SessionBudgets.costHeaderValue(session.costRemaining()));
            }
        }
        resp.end(answer);
    }

    /** The operation consumes and produces JSON only; other media types are typed 400s naming the header. */
    private static void requireJson(RoutingContext rc) {
        String contentType = rc.request().getHeader("Content-Type");
        if (contentType == null || !mediaType(contentType).equals("application/json")) {
            throw SluiceException.invalid("header.content-type", "unsupported Content-Type for this operation");
        }
        String accept = rc.request().getHeader("Accept");
        if (accept != null && !acceptsJson(accept)) {
            throw SluiceException.invalid("header.accept", "this operation cannot answer in the requested media type");
        }
    }

    static boolean acceptsJson(String accept) {
        for (String range : accept.split(",")) {
            String type = mediaType(range);
            if (type.isEmpty() || type.equals("application/json") || type.equals("application/*") || type.equals("*/*")) {
                return true;
            }
        }
        return false;
    }

    private static String mediaType(String header) {
        int semicolon = header.indexOf(';');
        return (semicolon < 0 ? header : header.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    private TaskRequest parse(Buffer body) {
        if (body == null || body.length() == 0) {
            throw SluiceException.invalid("body", "a JSON TaskRequest body is required");
        }
        TaskRequest request;
        try {
            request = json.readValue(body.getBytes(), TaskRequest.class);
        } catch (JsonProcessingException e) {
            throw new SluiceException(ErrorMappers.ofJson(e));
        } catch (java.io.IOException e) {
            throw SluiceException.invalid("body", "the request body could not be read");
        }
        if (request == null) {
            throw SluiceException.invalid("body", "a JSON TaskRequest body is required");
        }
        return request;
    }

    private static UUID parseTaskId(String id) {
        try {
            return id == null ? null : UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return null; // validation answers it with its typed error
        }
    }

    private void fail(RoutingContext rc, Throwable failure, String correlationId) {
        ErrorMappers.writeFailure(rc.response(), failure, correlationId, json);
    }
}
