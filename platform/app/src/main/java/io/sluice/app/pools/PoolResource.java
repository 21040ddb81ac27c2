package io.sluice.app.pools;

import io.sluice.app.pools.PoolDtos.DrainRequest;
import io.sluice.app.pools.PoolDtos.PoolActionAccepted;
import io.sluice.app.pools.PoolDtos.PoolHealth;
import io.sluice.app.pools.PoolDtos.PoolList;
import io.sluice.app.pools.PoolDtos.PoolView;
import io.sluice.app.pools.PoolDtos.ReloadRequest;
import io.sluice.app.security.Caller;
import io.sluice.core.error.SluiceException;
import io.sluice.core.scheduling.Pool;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.ZoneOffset;
import java.util.concurrent.CompletionStage;

/** The pool control plane (POOL-3): admin role only (SEC-2). */
@Path("/v1/pools")
@RolesAllowed(Caller.ADMIN)
public class PoolResource {
    /** Longest drain deadline: one day, as the contract bounds it. */
    static final long MAX_DRAIN_DEADLINE_MS = 86_400_000L;

    @Inject
    PoolControl control;

    @Inject
    PoolDrains drains;

    @Inject
    Caller caller;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public PoolList list() {
        return control.list();
    }

    @GET
    @Path("{pool_id}")
    @Produces(MediaType.APPLICATION_JSON)
    public PoolView get(@PathParam("pool_id") String poolId) {
        return control.view(control.pool(poolId));
    }

    @GET
    @Path("{pool_id}/health")
    @Produces(MediaType.APPLICATION_JSON)
    public PoolHealth health(@PathParam("pool_id") String poolId) {
        return control.health(control.pool(poolId));
    }

    @POST
    @Path("{pool_id}/drain")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> drain(@PathParam("pool_id") String poolId, DrainRequest body) {
        Pool pool = control.pool(poolId);
        if (body == null || body.deadlineMs() == null) {
            throw SluiceException.invalid("deadline_ms", "deadline_ms is required");
        }
        if (body.deadlineMs() < 0 || body.deadlineMs() > MAX_DRAIN_DEADLINE_MS) {
            throw SluiceException.invalid("deadline_ms", "deadline_ms must be between 0 and " + MAX_DRAIN_DEADLINE_MS);
        }
        return drains.drain(pool, body.deadlineMs(), caller.subject()).thenApply(d -> Response.accepted(new PoolActionAccepted(pool.id(),
                "drain", java.time.OffsetDateTime.now(ZoneOffset.UTC), d.deadlineAt().withOffsetSameInstant(ZoneOffset.UTC), null)).build());
    }

    @POST
    @Path("{pool_id}/reload")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> reload(@PathParam("pool_id") String poolId, ReloadRequest body) {
        Pool pool = control.pool(poolId);
        if (body == null || body.newModelRef() == null || body.newModelRef().isBlank() || body.newModelRef().length() > 256) {
            throw SluiceException.invalid("new_model_ref", "new_model_ref must be 1..256 characters");
        }
        return control.reload(pool, body.newModelRef(), caller.subject()).thenApply(a -> Response.accepted(a).build());
    }
}
