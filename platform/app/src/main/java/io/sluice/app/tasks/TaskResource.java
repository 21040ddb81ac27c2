package io.sluice.app.tasks;

import io.sluice.app.cluster.InstanceLease;
import io.sluice.app.cluster.PeerClient;
import io.sluice.app.http.ErrorBody;
import io.sluice.app.security.Caller;
import io.sluice.app.tasks.store.StoredTask;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.stream.TaskEvent;
import io.sluice.core.task.TaskRequest;
import io.vertx.core.http.HttpMethod;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The data plane's task operations (SPEC ADM-1, SSE-1..3). Tenant role only; tenants see only their own tasks.
 * Status, stream and cancel work on every instance (REL-5): the instance running a task answers them, and any
 * other forwards them to it ({@link PeerClient}), or — when it died — answers from the database once the task is
 * resolved. Nothing here blocks an event loop. Submission is {@link TaskSubmitRoute}, the stream {@link TaskStreamRoute}.
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
    io.quarkus.security.identity.SecurityIdentity identity;

    /**
     * The calling tenant's tasks, or for an admin the tasks of the tenant named in {@code tenant_id}, newest first, in
     * pages (filters: session, state, model).
     */
    @GET
    @RolesAllowed({Caller.TENANT, Caller.ADMIN})
    @Produces(MediaType.APPLICATION_JSON)
    public CompletionStage<TaskDtos.TaskPage> list(
            @QueryParam("tenant_id") String tenantId, @QueryParam("session_id") String sessionId, @QueryParam("state") String state,
            @QueryParam("model_ref") String modelRef, @QueryParam("limit") String limit, @QueryParam("cursor") String cursor) {
        String tenant = listedTenant(tenantId);
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

    private static final java.util.regex.Pattern TENANT_ID = java.util.regex.Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$");

    /** Whose tasks a listing shows: the caller's own, or — for an admin only — the tenant it names. */
    private String listedTenant(String tenantId) {
        if (tenantId == null) {
            if (!identity.hasRole(Caller.TENANT)) {
                // Listing one's own tasks needs the tenant role, as every other task operation does.
                throw SluiceException.of(ErrorCode.FORBIDDEN,
                        "listing one's own tasks needs the tenant role; an admin names the tenant whose tasks to list in tenant_id");
            }
            return caller.tenantId();
        }
        if (!identity.hasRole(Caller.ADMIN)) {
            throw SluiceException.of(ErrorCode.FORBIDDEN, "tenant_id is for admins only; a tenant lists its own tasks without it");
        }
        if (!TENANT_ID.matcher(tenantId).matches()) {
            throw SluiceException.invalid("query.tenant_id", "tenant_id must be a tenant id (letters, digits, . _ @ -, at most 128)");
        }
        return tenantId;
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

    /** The JSON data of an event as the contract's SSE schemas describe it. */
    static Object payloadOf(TaskEvent event) {
        if (event instanceof TaskEvent.Started s) {
            return new TaskDtos.StartedPayload(s.queuePosition(), s.predictedStartMs(), s.poolId(), s.replicaId(), s.engine());
        } else if (event instanceof TaskEvent.Token t) {
            return new TaskDtos.TokenPayload(t.t(), t.i());
        } else if (event instanceof TaskEvent.Metrics m) {
            return m.values();
        } else if (event instanceof TaskEvent.End e) {
            return new TaskDtos.EndPayload(e.tokensOut(), e.decodeMs());
        }
        return ErrorBody.of(((TaskEvent.Failed) event).error(), null);
    }

    static UUID parseId(String raw) {
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

    static long parseLastEventId(String raw) {
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
