package io.sluice.app.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.sluice.app.catalog.CatalogRuntime;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.app.http.CorrelationIds;
import io.sluice.app.http.ErrorMappers;
import io.sluice.app.security.Caller;
import io.sluice.app.security.IdentityMap;
import io.sluice.app.tasks.TaskService;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.scheduling.Pool;
import io.sluice.core.scheduling.TaskRun;
import io.sluice.core.scheduling.TaskScheduler;
import io.sluice.core.task.TaskRequest;
import io.sluice.core.task.TaskSpec;
import io.sluice.core.task.TaskValidator;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.concurrent.CompletionException;
import org.jboss.logging.Logger;

/**
 * The OpenAI-compatible operations (SPEC ADM-9, ADR 0013): {@code POST /v1/chat/completions},
 * {@code POST /v1/completions} and {@code GET /v1/models}. A thin translator over tasks: each request becomes one task
 * submitted through {@link TaskService#submit} (the same authentication, validation, catalog, policy, quota, deadline
 * and queue steps as {@code POST /v1/tasks}), and its answer is read from the task's event log. Served as Vert.x
 * routes, like the task stream ({@code TaskStreamRoute}, ADR 0009): the routes answer every failure in OpenAI's error
 * shape (a JAX-RS resource would answer authentication failures in Sluice's), and a streamed answer writes one
 * pre-built frame per token.
 *
 * <p>Threads: parsing, authentication and admission run on the connection's event loop (admission moves to a worker
 * itself when a tenant policy runs); events are handled on the thread that appends them to the log (the engine
 * adapter's), which Vert.x hands to the connection's event loop in order.
 */
@ApplicationScoped
public class OpenAiRoute {
    /** Names the Sluice session a request belongs to (a UUID); absent, every request is a session of its own. */
    public static final String SESSION_HEADER = "X-Sluice-Session-Id";
    /** The task's deadline in milliseconds; absent, the task default applies. */
    public static final String DEADLINE_HEADER = "X-Sluice-Deadline-Ms";
    /** Answers carry the id of the task behind them, for status, cancel and support. */
    public static final String TASK_HEADER = "X-Sluice-Task-Id";

    private static final Logger LOG = Logger.getLogger(OpenAiRoute.class);
    private static final long STARTED_AT = Instant.now().getEpochSecond();

    @Inject
    TaskService service;

    @Inject
    TaskScheduler scheduler;

    @Inject
    CatalogRuntime catalog;

    @Inject
    ChatPrompts prompts;

    @Inject
    ObjectMapper json;

    @Inject
    SluiceAppConfig config;

    @Inject
    IdentityMap identities;

    enum Kind {
        CHAT,
        COMPLETION
    }

    /** Registers the routes without creating the route's bean before start-up checks ran (as the task stream does). */
    @ApplicationScoped
    static class Installer {
        @Inject
        jakarta.enterprise.inject.Instance<OpenAiRoute> route;

        private volatile OpenAiRoute resolved;

        @Inject
        SluiceAppConfig config;

        void install(@Observes Router router) {
            // Reads the body (up to the limit BodyLimit enforces) before the handler runs; a body BodyLimit already
            // read is not read again.
            BodyHandler body = BodyHandler.create(false).setBodyLimit(config.http().maxBodyBytes());
            router.post("/v1/chat/completions").handler(body).handler(rc -> target().generate(rc, Kind.CHAT));
            router.post("/v1/completions").handler(body).handler(rc -> target().generate(rc, Kind.COMPLETION));
            router.get("/v1/models").handler(rc -> target().models(rc));
        }

        private OpenAiRoute target() {
            OpenAiRoute r = resolved;
            if (r == null) {
                r = route.get();
                resolved = r;
            }
            return r;
        }
    }

    // ---------------------------------------------------------------------------------------- generation

    void generate(RoutingContext rc, Kind kind) {
        String correlationId = rc.request().getHeader(CorrelationIds.HEADER);
        OpenAiErrors.Params params = kind == Kind.CHAT ? OpenAiErrors.Params.CHAT : OpenAiErrors.Params.COMPLETION;
        Buffer read = rc.body().buffer();
        Buffer body = read == null ? Buffer.buffer() : read;
        identity(rc).subscribe().with(identity -> {
            try {
                submit(rc, kind, authorise(identity), body, correlationId);
            } catch (RuntimeException e) {
                fail(rc, e, correlationId, params);
            }
        }, err -> fail(rc, err, correlationId, params));
    }

    private void submit(RoutingContext rc, Kind kind, String tenant, Buffer body, String correlationId) {
        String contentType = rc.request().getHeader("Content-Type");
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw OpenAiRequests.invalid("header.content-type", "the request body must be application/json");
        }
        OpenAiRequests.Options options = options(rc);
        OpenAiRequests.Mapped mapped;
        OpenAiErrors.Params params;
        if (kind == Kind.CHAT) {
            OpenAiDtos.ChatRequest r = parse(body, OpenAiDtos.ChatRequest.class);
            mapped = OpenAiRequests.chat(r, options, (model, session, turns) -> prompts.render(prompts.choose(model, session), model, turns));
            params = mapped.maxCompletionTokens() ? OpenAiErrors.Params.CHAT_MAX_COMPLETION : OpenAiErrors.Params.CHAT;
        } else {
            mapped = OpenAiRequests.completion(parse(body, OpenAiDtos.CompletionRequest.class), options);
            params = OpenAiErrors.Params.COMPLETION;
        }
        TaskRequest task = mapped.task();
        UUID taskId = UUID.fromString(task.taskId());
        service.submit(task, tenant).whenComplete((submitted, err) -> {
            if (err != null) {
                fail(rc, err, correlationId, params);
                return;
            }
            TaskRun run = service.liveRun(taskId, tenant).orElse(null);
            if (run == null) {
                // Admitted here, so it runs here; it can only be gone if it ended and its retention passed already.
                fail(rc, new SluiceException(SluiceError.of(ErrorCode.INTERNAL, "task " + taskId + " ended before its answer was read")),
                        correlationId, params);
                return;
            }
            Answer answer = mapped.stream()
                    ? new StreamedAnswer(this, rc, kind, run, mapped, correlationId, params)
                    : new WholeAnswer(this, rc, kind, run, mapped, correlationId, params);
            answer.start();
        });
    }

    private static OpenAiRequests.Options options(RoutingContext rc) {
        String session = rc.request().getHeader(SESSION_HEADER);
        String deadline = rc.request().getHeader(DEADLINE_HEADER);
        Long deadlineMs = null;
        if (deadline != null) {
            try {
                deadlineMs = Long.parseLong(deadline.trim());
            } catch (NumberFormatException e) {
                throw OpenAiRequests.invalid("header." + DEADLINE_HEADER, DEADLINE_HEADER + " must be an integer number of milliseconds");
            }
        }
        return new OpenAiRequests.Options(session, deadlineMs);
    }

    private <T> T parse(Buffer body, Class<T> type) {
        T value;
        try {
            value = json.readValue(body.getBytes(), type);
        } catch (JsonProcessingException e) {
            throw parseFailure(e);
        } catch (java.io.IOException e) {
            throw OpenAiRequests.invalid("body", "the request body could not be read");
        }
        if (value == null) {
            throw OpenAiRequests.invalid("body", "the request body must be a JSON object");
        }
        return value;
    }

    private static SluiceException parseFailure(JsonProcessingException failure) {
        // Malformed JSON inside a member surfaces as a mapping failure of that member: it is still malformed JSON.
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof com.fasterxml.jackson.core.JsonParseException) {
                // No offsets or excerpts: they could echo prompt text (SEC-4).
                return OpenAiRequests.invalid("body", "the request body is not valid JSON (UTF-8)");
            }
        }
        if (failure instanceof UnrecognizedPropertyException e) {
            return OpenAiRequests.invalid(e.getPropertyName(), "Unrecognized request argument supplied: " + e.getPropertyName());
        }
        if (failure instanceof JsonMappingException e) {
            String p = path(e);
            if (p == null) {
                return OpenAiRequests.invalid("body", "the request body must be a JSON object");
            }
            return OpenAiRequests.invalid(p, p + (e instanceof MismatchedInputException ? " has the wrong type" : " is invalid"));
        }
        return OpenAiRequests.invalid("body", "the request body is not valid JSON (UTF-8)");
    }

    /** Dotted path of the offending member ({@code messages[0].role}); null for the body itself. */
    private static String path(JsonMappingException e) {
        String p = ErrorMappers.path(e);
        return "body".equals(p) ? null : p;
    }

    // ---------------------------------------------------------------------------------------- models

    void models(RoutingContext rc) {
        String correlationId = rc.request().getHeader(CorrelationIds.HEADER);
        identity(rc).subscribe().with(identity -> {
            try {
                String tenant = authorise(identity);
                StringBuilder sb = new StringBuilder(256).append("{\"object\":\"list\",\"data\":[");
                boolean first = true;
                for (String id : usableModels(tenant)) {
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    JsonText.quoted(sb.append("{\"id\":"), id).append(",\"object\":\"model\",\"created\":").append(STARTED_AT)
                            .append(",\"owned_by\":\"sluice\",\"chat_template_source\":\"").append(templateSource(id)).append("\"}");
                }
                sb.append("]}");
                rc.response().setStatusCode(200).putHeader("Content-Type", "application/json").end(sb.toString());
            } catch (RuntimeException e) {
                fail(rc, e, correlationId, OpenAiErrors.Params.NONE);
            }
        }, err -> fail(rc, err, correlationId, OpenAiErrors.Params.NONE));
    }

    /** Where the chat template of {@code model} comes from, as a request without a session would be served. */
    private String templateSource(String model) {
        try {
            return prompts.choose(model, null).source().wire();
        } catch (SluiceException unusable) {
            // The catalog declares a template that no longer compiles: chat requests are refused, not rendered otherwise.
            return ChatPrompts.Source.CATALOG.wire();
        }
    }

    /**
     * The model names a request of this tenant would be admitted for as far as the model goes: every name a pool
     * serves and every catalog ref and alias, kept when the catalog resolves it (lifecycle: not Draft, Deprecated or
     * Retired) to a model some pool serves. Policies and quotas are not asked: they judge requests, not names.
     */
    Set<String> usableModels(String tenant) {
        Set<String> candidates = new TreeSet<>(catalog.refs());
        for (Pool p : scheduler.pools().pools()) {
            candidates.add(p.model());
        }
        Set<String> usable = new TreeSet<>();
        for (String ref : candidates) {
            try {
                TaskSpec probe = TaskValidator.validate(new TaskRequest(UUID.randomUUID().toString(), UUID.randomUUID().toString(),
                        "completion", ref, null, null, null, null, null, null, "", null, 1L, null, null, null, null, null, null), tenant);
                if (!scheduler.pools().poolsServing(catalog.resolve(probe)).isEmpty()) {
                    usable.add(ref);
                }
            } catch (SluiceException notUsable) {
                // Draft, Deprecated, Retired or unserved: not listed
            }
        }
        return usable;
    }

    // ---------------------------------------------------------------------------------------- failures

    /**
     * The caller's identity, resolved now (authentication is lazy). A failed verification would otherwise also reach
     * Quarkus's default failure handler, which answers a bare 401 challenge before the route can answer in OpenAI's
     * shape; the route's own failure callback answers it instead.
     */
    private static Uni<SecurityIdentity> identity(RoutingContext rc) {
        BiConsumer<RoutingContext, Throwable> answeredByTheRoute = (ctx, failure) -> {};
        rc.put(QuarkusHttpUser.AUTH_FAILURE_HANDLER, answeredByTheRoute);
        return QuarkusHttpUser.getSecurityIdentity(rc, null);
    }

    private String authorise(SecurityIdentity identity) {
        if (identity == null || identity.isAnonymous()) {
            throw new AuthenticationFailedException();
        }
        return Caller.tenantIdOf(identity, config, identities);
    }

    /** Answers a failure before anything of the answer was sent. */
    void fail(RoutingContext rc, Throwable failure, String correlationId, OpenAiErrors.Params params) {
        if (rc.response().headWritten()) {
            rc.response().reset();
            return;
        }
        OpenAiErrors.write(rc.response(), errorOf(failure, correlationId), correlationId, params, json);
    }

    static SluiceError errorOf(Throwable failure, String correlationId) {
        Throwable e = failure;
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof SluiceException se) {
            return se.error();
        }
        if (e instanceof AuthenticationFailedException) {
            return SluiceError.of(ErrorCode.UNAUTHENTICATED, "a valid bearer token is required (send it as the API key)")
                    .withStage(AdmissionStage.AUTHENTICATE);
        }
        LOG.errorf(e, "internal error (correlation id %s)", correlationId);
        return SluiceError.of(ErrorCode.INTERNAL, "internal error; quote correlation id " + correlationId);
    }
}
