package io.sluice.app.notimplemented;

import io.sluice.app.security.Caller;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Operations of the control plane (POOL-3) that the contract defines but that have not landed yet. They
 * authenticate and authorize like the real ones, then answer the contract's typed {@code 501 NOT_IMPLEMENTED}
 * instead of a silent 404. Each method moves to a real resource when its feature lands.
 */
@Path("/v1/capabilities")
public class CapabilitiesNotImplementedResource {

    /** getCapabilities */
    @GET
    @RolesAllowed({Caller.TENANT, Caller.ADMIN})
    @Produces(MediaType.APPLICATION_JSON)
    public Response getCapabilities() {
        throw NotImplemented.operation("getCapabilities");
    }
}
