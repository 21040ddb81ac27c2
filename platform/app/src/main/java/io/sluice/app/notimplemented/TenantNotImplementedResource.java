package io.sluice.app.notimplemented;

import io.sluice.app.security.Caller;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Operations of the tenants and quotas (SCH-3) that the contract defines but that have not landed yet. They
 * authenticate and authorize like the real ones, then answer the contract's typed {@code 501 NOT_IMPLEMENTED}
 * instead of a silent 404. Each method moves to a real resource when its feature lands.
 */
@Path("/v1/tenants")
public class TenantNotImplementedResource {

    /** listTenants */
    @GET
    @RolesAllowed({Caller.ADMIN})
    @Produces(MediaType.APPLICATION_JSON)
    public Response listTenants() {
        throw NotImplemented.operation("listTenants");
    }

    /** getTenant */
    @GET
    @Path("{tenant_id}")
    @RolesAllowed({Caller.ADMIN})
    @Produces(MediaType.APPLICATION_JSON)
    public Response getTenant(@PathParam("tenant_id") String tenantId) {
        throw NotImplemented.operation("getTenant");
    }

    /** putTenant */
    @PUT
    @Path("{tenant_id}")
    @RolesAllowed({Caller.ADMIN})
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response putTenant(@PathParam("tenant_id") String tenantId) {
        throw NotImplemented.operation("putTenant");
    }

    /** getTenantQuotas */
    @GET
    @Path("{tenant_id}/quotas")
    @RolesAllowed({Caller.ADMIN})
    @Produces(MediaType.APPLICATION_JSON)
    public Response getTenantQuotas(@PathParam("tenant_id") String tenantId) {
        throw NotImplemented.operation("getTenantQuotas");
    }

    /** putTenantQuotas */
    @PUT
    @Path("{tenant_id}/quotas")
    @RolesAllowed({Caller.ADMIN})
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response putTenantQuotas(@PathParam("tenant_id") String tenantId) {
        throw NotImplemented.operation("putTenantQuotas");
    }
}
