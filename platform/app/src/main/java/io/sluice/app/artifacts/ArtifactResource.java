package io.sluice.app.artifacts;

import io.smallrye.mutiny.Uni;
import io.sluice.app.artifacts.ArtifactDtos.Artifact;
import io.sluice.app.artifacts.ArtifactDtos.ArtifactCreate;
import io.sluice.app.security.Caller;
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
import java.net.URI;

/** The tenant's artifact store (CAT-4). Tenant role; a tenant only ever sees its own artifacts (SEC-3). */
@Path("/v1/artifacts")
@RolesAllowed(Caller.TENANT)
@Produces(MediaType.APPLICATION_JSON)
public class ArtifactResource {

    @Inject
    ArtifactService service;

    @Inject
    Caller caller;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> createArtifact(ArtifactCreate body) {
        return service.store(caller.tenantId(), body).map(s -> s.created()
                ? Response.created(URI.create("/v1/artifacts/" + s.artifact().id())).entity(s.artifact()).build()
                : Response.ok(s.artifact()).build());
    }

    @GET
    @Path("{artifact_id}")
    public Uni<Artifact> getArtifact(@PathParam("artifact_id") String id) {
        return service.get(caller.tenantId(), id);
    }
}
