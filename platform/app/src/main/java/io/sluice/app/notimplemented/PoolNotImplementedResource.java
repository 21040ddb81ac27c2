package io.sluice.app.notimplemented;

import io.sluice.app.security.Caller;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Operations of the control plane (POOL-3) that the contract defines but that have not landed yet. They
 * authenticate and authorize like the real ones, then answer the contract's typed {@code 501 NOT_IMPLEMENTED}
 * instead of a silent 404. Each method moves to a real resource when its feature lands.
 */
@Path("/v1/pools")
public class PoolNotImplementedResource {

    /** listPools */
    @GET
    @RolesAllowed({Caller.ADMIN})
    @Produces(MediaType.APPLICATION_JSON)
    public Response listPools() {
        throw NotImplemented.operation("listPools");
    }

    /** getPool */
    @GET
    @Path("{pool_id}")
    @RolesAllowed({Caller.ADMIN})
    @Produces(MediaType.APPLICATION_JSON)
    public Response getPool(@PathParam("pool_id") String poolId) {
        throw NotImplemented.operation("getPool");
    }

    /** getPoolHealth */
    @GET
    @Path("{pool_id}/health")
    @RolesAllowed({Caller.ADMIN})
    @Produces(MediaType.APPLICATION_JSON)
    public Response getPoolHealth(@PathParam("pool_id") String poolId) {
        throw NotImplemented.operation("getPoolHealth");
    }

    /** drainPool */
    @POST
    @Path("{pool_id}/drain")
    @RolesAllowed({Caller.ADMIN})
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response drainPool(@PathParam("pool_id") String poolId) {
        throw NotImplemented.operation("drainPool");
    }

    /** reloadPool */
    @POST
    @Path("{pool_id}/reload")
    @RolesAllowed({Caller.ADMIN})
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response reloadPool(@PathParam("pool_id") String poolId) {
        throw NotImplemented.operation("reloadPool");
    }
}
