package io.sluice.app.pools;

import io.sluice.app.pools.PoolDtos.ReplicaSetList;
import io.sluice.app.security.Caller;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** Replica sets with their load and SLO snapshot (POOL-1, POOL-3): admin role only. */
@Path("/v1/replicasets")
@RolesAllowed(Caller.ADMIN)
public class ReplicaSetResource {

    @Inject
    PoolControl control;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public ReplicaSetList list() {
        return control.replicaSets();
    }
}
