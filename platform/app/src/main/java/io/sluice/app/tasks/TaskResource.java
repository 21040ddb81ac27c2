package io.sluice.app.tasks;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.sluice.app.http.ErrorBody;
import io.sluice.app.security.Caller;
import io.sluice.core.task.TaskRequest;
import io.sluice.app.tasks.TaskDtos.TaskStatus;
import io.sluice.app.tasks.store.TaskEntity;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.scheduling.TaskRun;
import io.sluice.core.stream.EventLog;
import io.sluice.core.stream.TaskEvent;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.util.Optional;
import java.util.UUID;

/** The data plane's task operations (SPEC ADM-1, SSE-1..3). Tenant role only; tenants see only their own tasks. */
@Path("/v1/tasks")
@RolesAllowed(Caller.TENANT)
public class TaskResource {

    @Inject
    TaskService service;

    @Inject
    Caller caller;

    @Inject
    ObjectMapper json;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<Response> submit(TaskRequest body) {
        if (body == null) {
            throw SluiceException.invalid("body", "a JSON TaskRequest body is required");
        }
        String tenant = caller.tenantId();
        return service.submit(body, tenant).map(s -> Response.accepted(s.accepted()).build());
    }

    /** listTasks has not landed yet: a typed 501 rather than a 405 from the POST on the same path. */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response list() {
        caller.tenantId();
        throw SluiceException.of(ErrorCode.NOT_IMPLEMENTED, "operation listTasks is defined by the contract but not implemented yet");
    }

    @GET
    @Path("{task_id}")
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<TaskStatus> status(@PathParam("task_id") String taskId) {
        return service.status(parseId(taskId), caller.tenantId());
    }

    @POST
    @Path("{task_id}/cancel")
    public Uni<Response> cancel(@PathParam("task_id") String taskId) {
        return service.cancel(parseId(taskId), caller.tenantId()).map(v -> Response.noContent().build());
    }

    /**
     * Streams the task's events from the start, or after {@code Last-Event-ID} (SSE-2). After the retention
     * window only the terminal event is replayed, with its original id.
     */
    @GET
    @Path("{task_id}/stream")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Blocking
    public Multi<OutboundSseEvent> stream(
            @PathParam("task_id") String taskId, @HeaderParam("Last-Event-ID") String lastEventId, @Context Sse sse) {
        UUID id = parseId(taskId);
        String tenant = caller.tenantId();
        long after = parseLastEventId(lastEventId);
        Optional<TaskRun> live = service.liveRun(id, tenant);
        if (live.isPresent()) {
            EventLog log = live.get().log();
            return Multi.createFrom().emitter(em -> {
                EventLog.Subscription sub = log.subscribe(after, (eventId, event) -> {
                    em.emit(toSse(sse, eventId, event));
                    if (event.terminal()) {
                        em.complete();
                    }
                });
                em.onTermination(sub::close);
            }, BackPressureStrategy.BUFFER);
        }
        TaskEntity stored;
        try {
            stored = VertxContextSupport.subscribeAndAwait(() -> service.stored(id, tenant));
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("could not read task " + id, t);
        }
        if (stored == null) {
            throw SluiceException.notFound("task " + id);
        }
        if (stored.terminalEventId == null && stored.errorCode == null && stored.endedAt == null) {
            throw SluiceException.of(ErrorCode.INTERNAL, "task " + id + " is recorded but not scheduled; it is resolved at restart");
        }
        long terminalId = stored.terminalEventId == null ? 1 : stored.terminalEventId;
        if (after >= terminalId) {
            return Multi.createFrom().empty();
        }
        TaskEvent terminal = stored.errorCode == null
                ? new TaskEvent.End(stored.tokensOut, stored.decodeMs == null ? 0 : stored.decodeMs)
                : new TaskEvent.Failed(new SluiceError(ErrorCode.valueOf(stored.errorCode), stored.errorMessage,
                        Boolean.TRUE.equals(stored.errorRetriable), null, stored.engine, stored.poolId, null, null, null, null, null));
        return Multi.createFrom().item(toSse(sse, terminalId, terminal));
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
        try {
            UUID u = UUID.fromString(raw);
            if (u.toString().equalsIgnoreCase(raw)) {
                return u;
            }
        } catch (IllegalArgumentException e) {
            // fall through: a malformed id names no task
        }
        throw SluiceException.invalid("path.task_id", "task_id must be a UUID");
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
