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
 * Operations of the artifact store (CAT-4) that the contract defines but that have not landed yet. They
 * authenticate and authorize like the real ones, then answer the contract's typed {@code 501 NOT_IMPLEMENTED}
 * instead of a silent 404. Each method moves to a real resource when its feature lands.
 */
@Path("/v1/artifacts")
public class ArtifactNotImplementedResource {

    /** createArtifact */
    @POST
    @RolesAllowed({Caller.TENANT})
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response createArtifact() {
        throw NotImplemented.operation("createArtifact");
    }

    /** getArtifact */
    @GET
    @Path("{artifact_id}")
    @RolesAllowed({Caller.TENANT})
    @Produces(MediaType.APPLICATION_JSON)
    public Response getArtifact(@PathParam("artifact_id") String artifactId) {
        throw NotImplemented.operation("getArtifact");
    }
}
