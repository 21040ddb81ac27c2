package io.sluice.app.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.Cancellable;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.sluice.app.cluster.InstanceLease;
import io.sluice.app.cluster.PeerClient;
import io.sluice.app.cluster.SseFrames;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.app.http.ErrorBody;
import io.sluice.app.security.Caller;
import io.sluice.app.tasks.store.StoredTask;
import io.sluice.app.tasks.store.TaskJournal;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.scheduling.TaskRun;
import io.sluice.core.stream.EventLog;
import io.sluice.core.stream.TaskEvent;
import io.sluice.core.task.TaskRequest;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.resteasy.reactive.ResponseHeader;

/**
 * The data plane's task operations (SPEC ADM-1, SSE-1..3). Tenant role only; tenants see only their own tasks.
 * Status, stream and cancel work on every instance (REL-5): the instance running a task answers them, and any
 * other forwards them to it ({@link PeerClient}), or — when it died — answers from the database once the task is
 * resolved. Nothing here blocks an event loop.
 */
@Path("/v1/tasks")
@RolesAllowed(Caller.TENANT)
public class TaskResource {
    private static final String AUTHORIZATION = "Authorization";

    @Inject
    TaskService service;

    @Inject
    PeerClient peers;

    @Inject
    InstanceLease lease;

    @Inject
    Caller caller;

    @Inject
    ObjectMapper json;

    @Inject
    SluiceAppConfig config;

    @Inject
    Vertx vertx;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> submit(TaskRequest body) {
        if (body == null) {
            throw SluiceException.invalid("body", "a JSON TaskRequest body is required");
        }
        String tenant = caller.tenantId();
        return service.submit(body, tenant)
                .thenApply(s -> io.sluice.app.sessions.SessionBudgets.headers(Response.accepted(s.accepted()), s.session()).build());
    }

    /** The calling tenant's tasks, newest first, in pages (filters: session, state, model). */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public CompletionStage<TaskDtos.TaskPage> list(
            @QueryParam("session_id") String sessionId, @QueryParam("state") String state, @QueryParam("model_ref") String modelRef,
            @QueryParam("limit") String limit, @QueryParam("cursor") String cursor) {
        String tenant = caller.tenantId();
        UUID session = sessionId == null ? null : parseUuid(sessionId, "query.session_id", "session_id must be a UUID");
        if (state != null && !STATES.contains(state)) {
            throw SluiceException.invalid("query.state", "state must be one of " + String.join(", ", STATES));
        }
        if (modelRef != null && (modelRef.isEmpty() || modelRef.length() > 256)) {
            throw SluiceException.invalid("query.model_ref", "model_ref must be 1..256 characters");
        }
        if (cursor != null && (cursor.isEmpty() || cursor.length() > 512)) {
            throw SluiceException.invalid("query.cursor", "cursor must be 1..512 characters");
        }
        return service.list(tenant, session, state, modelRef, cursor, parseLimit(limit));
    }

    private static final List<String> STATES = List.of("queued", "running", "succeeded", "failed", "canceled");

    private static int parseLimit(String raw) {
        if (raw == null) {
            return 50;
        }
        try {
            int v = Integer.parseInt(raw.trim());
            if (v >= 1 && v <= 500) {
                return v;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw SluiceException.invalid("query.limit", "limit must be an integer from 1 to 500");
    }

    @GET
    @Path("{task_id}")
    @Produces(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> status(
            @PathParam("task_id") String taskId, @HeaderParam(AUTHORIZATION) String authorization,
            @HeaderParam(PeerClient.FORWARDED) String forwarded) {
        UUID id = parseId(taskId);
        String tenant = caller.tenantId();
        if (service.liveRun(id, tenant).isPresent() || forwarded != null) {
            return service.status(id, tenant).thenApply(s -> Response.ok(s).build());
        }
        return service.stored(id, tenant).thenCompose(row -> {
            if (row.isEmpty()) {
                throw SluiceException.notFound("task " + id);
            }
            StoredTask t = row.get();
            if (t.ended() || service.ownedHere(t)) {
                return service.status(id, tenant).thenApply(s -> Response.ok(s).build());
            }
            // Its owner holds the live state (tokens so far, replica); ask it, or show the row when it is gone.
            return peers.call(t.ownerInstance(), HttpMethod.GET, "/v1/tasks/" + id, authorization).thenCompose(reply -> reply
                    .<CompletionStage<Response>>map(r -> CompletableFuture.completedFuture(relay(r)))
                    .orElseGet(() -> resolvedRow(id, tenant).thenApply(s -> Response.ok(TaskService.view(s)).build())));
        });
    }

    @POST
    @Path("{task_id}/cancel")
    public CompletionStage<Response> cancel(
            @PathParam("task_id") String taskId, @HeaderParam(AUTHORIZATION) String authorization,
            @HeaderParam(PeerClient.FORWARDED) String forwarded) {
        UUID id = parseId(taskId);
        String tenant = caller.tenantId();
        if (service.cancelLocal(id, tenant)) {
            return CompletableFuture.completedFuture(Response.noContent().build());
        }
        return service.stored(id, tenant).thenCompose(row -> {
            if (row.isEmpty()) {
                throw SluiceException.notFound("task " + id);
            }
            StoredTask t = row.get();
            if (t.ended() || forwarded != null || service.ownedHere(t)) {
                // Ended: cancelling is a no-op. Owned here but not live: it ended between the two looks.
                service.cancelLocal(id, tenant);
                return CompletableFuture.completedFuture(Response.noContent().build());
            }
            return peers.call(t.ownerInstance(), HttpMethod.POST, "/v1/tasks/" + id + "/cancel", authorization).thenCompose(reply -> reply
                    .<CompletionStage<Response>>map(r -> CompletableFuture.completedFuture(relay(r)))
                    // its owner died: the task ends (WORKER_RESET) when resolved, which the sweep does now
                    .orElseGet(() -> resolvedRow(id, tenant).thenApply(s -> Response.noContent().build())));
        });
    }

    /**
     * Streams the task's events from the start, or after {@code Last-Event-ID} (SSE-2). After the retention
     * window only the terminal event is replayed, with its original id.
     */
    @GET
    @Path("{task_id}/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @ResponseHeader(name = "Cache-Control", value = "no-cache")
    @Blocking
    public Multi<OutboundSseEvent> stream(
            @PathParam("task_id") String taskId, @HeaderParam("Last-Event-ID") String lastEventId,
            @HeaderParam(AUTHORIZATION) String authorization, @HeaderParam(PeerClient.FORWARDED) String forwarded, @Context Sse sse) {
        UUID id = parseId(taskId);
        String tenant = caller.tenantId();
        long after = parseLastEventId(lastEventId);
        return framed(events(id, tenant, after, lastEventId, authorization, forwarded, sse), sse);
    }

    /**
     * Adds what every stream carries besides its events: the {@code retry:} hint first, and a comment line whenever
     * the stream was quiet for the heartbeat interval.
     */
    private Multi<OutboundSseEvent> framed(Multi<OutboundSseEvent> events, Sse sse) {
        long heartbeatMs = config.tasks().streamHeartbeatMs();
        long heartbeatNanos = TimeUnit.MILLISECONDS.toNanos(heartbeatMs);
        return Multi.createFrom().emitter(em -> {
            AtomicLong lastSent = new AtomicLong(System.nanoTime());
            em.emit(sse.newEventBuilder().reconnectDelay(config.tasks().streamRetryMs()).comment("sluice").build());
            long timer = vertx.setPeriodic(heartbeatMs, t -> {
                long now = System.nanoTime();
                if (now - lastSent.get() >= heartbeatNanos - heartbeatNanos / 10) {
                    lastSent.set(now);
                    em.emit(sse.newEventBuilder().comment("keep-alive").build());
                }
            });
            Cancellable upstream = events.subscribe().with(e -> {
                lastSent.set(System.nanoTime());
                em.emit(e);
            }, em::fail, em::complete);
            em.onTermination(() -> {
                vertx.cancelTimer(timer);
                upstream.cancel();
            });
        }, BackPressureStrategy.BUFFER);
    }

    private Multi<OutboundSseEvent> events(
            UUID id, String tenant, long after, String lastEventId, String authorization, String forwarded, Sse sse) {
        Optional<TaskRun> live = service.liveRun(id, tenant);
        if (live.isPresent()) {
            return liveStream(live.get(), after, sse);
        }
        // Not held here: the answer's status depends on the database (and maybe the owner), and an SSE answer
        // commits its status with the first byte, so the decision is awaited here, on a worker thread.
        StoredTask t = await(service.stored(id, tenant)).orElseThrow(() -> SluiceException.notFound("task " + id));
        if (t.ended()) {
            if (forwarded != null || service.ownedHere(t) || t.ownerInstance() == null) {
                return replayTerminal(t, after, sse);
            }
            // Its owner may still retain the whole log (SSE-2 resume); if it is gone or unreachable, the stored
            // terminal event is the answer.
            try {
                Optional<HttpClientResponse> owner = await(peers.open(t.ownerInstance(), HttpMethod.GET,
                        "/v1/tasks/" + id + "/stream", authorization, lastEventId));
                if (owner.isPresent() && owner.get().statusCode() == 200) {
                    return relayStream(owner.get(), sse);
                }
                owner.ifPresent(r -> r.request().reset());
            } catch (SluiceException e) {
                // unreachable owner: fall through to the stored outcome
            }
            return replayTerminal(t, after, sse);
        }
        Optional<TaskRun> nowLive = service.liveRun(id, tenant);
        if (nowLive.isPresent()) {
            return liveStream(nowLive.get(), after, sse);
        }
        if (forwarded != null || service.ownedHere(t)) {
            throw new SluiceException(SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE,
                    "task " + id + " is being handed to its instance; retry").withRetryAfter(100L));
        }
        Optional<HttpClientResponse> owner = await(peers.open(t.ownerInstance(), HttpMethod.GET, "/v1/tasks/" + id + "/stream",
                authorization, lastEventId));
        if (owner.isEmpty()) {
            return replayTerminal(await(resolvedRow(id, tenant)), after, sse);
        }
        HttpClientResponse resp = owner.get();
        if (resp.statusCode() != 200) {
            var body = resp.body();
            resp.resume();
            throw new SluiceException(errorOf(resp.statusCode(), await(body.toCompletionStage()).toString()));
        }
        return relayStream(resp, sse);
    }

    private static <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new SluiceException(SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE, "the task store did not answer in time")
                    .withRetryAfter(1_000L));
        }
    }

    private Multi<OutboundSseEvent> liveStream(TaskRun run, long after, Sse sse) {
        EventLog log = run.log();
        return Multi.createFrom().emitter(em -> {
            EventLog.Subscription sub = log.subscribe(after, new EventLog.Listener() {
                @Override
                public void onEvent(long eventId, TaskEvent event) {
                    em.emit(toSse(sse, eventId, event));
                    if (event.terminal()) {
                        em.complete();
                    }
                }

                @Override
                public void onEnd() {
                    em.complete();
                }
            });
            em.onTermination(() -> {
                sub.close();
                // The emitter completes only with the terminal event: ending before it means the reader went away.
                if (run.spec().cancelOnDisconnect() && !log.sealed() && log.readers() == 0) {
                    service.cancelLocal(run.spec().taskId(), run.spec().tenantId());
                }
            });
        }, BackPressureStrategy.BUFFER);
    }

    private Multi<OutboundSseEvent> replayTerminal(StoredTask t, long after, Sse sse) {
        if (!t.ended()) {
            throw new SluiceException(SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE,
                    "task " + t.id() + " is not resolved yet; retry").withRetryAfter(1_000L));
        }
        long terminalId = t.terminalEventId() == null ? 1 : t.terminalEventId();
        if (after >= terminalId) {
            return Multi.createFrom().empty();
        }
        return Multi.createFrom().item(toSse(sse, terminalId, TaskJournal.terminalEventOf(t)));
    }

    /** Relays the owner's event stream as it arrives; its errors are relayed typed. */
    private Multi<OutboundSseEvent> relayStream(HttpClientResponse resp, Sse sse) {
        return Multi.createFrom().emitter(em -> {
            SseFrames frames = new SseFrames(f -> em.emit(sse.newEventBuilder().id(f.id()).name(f.event()).data(f.data()).build()));
            resp.handler(buf -> frames.feed(buf.getBytes()));
            resp.endHandler(v -> em.complete());
            resp.exceptionHandler(e -> em.fail(new SluiceException(SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE,
                    "lost the connection to the Sluice instance running the task; resume with Last-Event-ID").withRetryAfter(100L))));
            em.onTermination(() -> resp.request().reset());
            resp.resume();
        }, BackPressureStrategy.BUFFER);
    }

    /** The row of a task whose owner holds no live lease, once the sweep resolved it. */
    private CompletionStage<StoredTask> resolvedRow(UUID id, String tenant) {
        return lease.sweep().thenCompose(n -> service.stored(id, tenant)).thenApply(row -> row.orElseThrow(
                () -> SluiceException.notFound("task " + id)));
    }

    private Response relay(PeerClient.Reply r) {
        Response.ResponseBuilder b = Response.status(r.status());
        if (r.body().length() > 0) {
            b.entity(r.body().getBytes()).type(r.contentType() == null ? MediaType.APPLICATION_JSON : r.contentType());
        }
        return b.build();
    }

    /** The typed error another instance answered with. */
    private SluiceError errorOf(int status, String body) {
        try {
            JsonNode n = json.readTree(body);
            ErrorCode code = ErrorCode.valueOf(n.path("code").asText());
            return SluiceError.of(code, n.path("message").asText());
        } catch (Exception e) {
            return SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE,
                    "the Sluice instance running the task answered " + status + " without a typed error");
        }
    }

    private OutboundSseEvent toSse(Sse sse, long id, TaskEvent event) {
        Object payload;
        if (event instanceof TaskEvent.Started s) {
            payload = new TaskDtos.StartedPayload(s.queuePosition(), s.predictedStartMs(), s.poolId(), s.replicaId(), s.engine());
        } else if (event instanceof TaskEvent.Token t) {
            payload = new TaskDtos.TokenPayload(t.t(), t.i());
        } else if (event instanceof TaskEvent.Metrics m) {
            payload = m.values();
        } else if (event instanceof TaskEvent.End e) {
            payload = new TaskDtos.EndPayload(e.tokensOut(), e.decodeMs());
        } else {
            payload = ErrorBody.of(((TaskEvent.Failed) event).error(), null);
        }
        String data;
        try {
            data = json.writeValueAsString(payload);
        } catch (Exception e) {
            throw new IllegalStateException("cannot serialise " + event.name() + " event", e);
        }
        return sse.newEventBuilder().id(Long.toString(id)).name(event.name()).data(data).build();
    }

    private static UUID parseId(String raw) {
        return parseUuid(raw, "path.task_id", "task_id must be a UUID");
    }

    private static UUID parseUuid(String raw, String field, String message) {
        try {
            UUID u = UUID.fromString(raw);
            if (u.toString().equalsIgnoreCase(raw)) {
                return u;
            }
        } catch (IllegalArgumentException e) {
            // fall through: a malformed id names nothing
        }
        throw SluiceException.invalid(field, message);
    }

    private static long parseLastEventId(String raw) {
        if (raw == null || raw.isBlank()) {
            return 0;
        }
        try {
            long v = Long.parseLong(raw.trim());
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw SluiceException.invalid("header.Last-Event-ID", "Last-Event-ID must be a non-negative integer event id");
    }
}
