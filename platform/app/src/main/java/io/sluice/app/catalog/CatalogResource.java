package io.sluice.app.catalog;

import io.smallrye.mutiny.Uni;
import io.sluice.app.catalog.CatalogDtos.Alias;
import io.sluice.app.catalog.CatalogDtos.AliasPut;
import io.sluice.app.catalog.CatalogDtos.ModelCreate;
import io.sluice.app.catalog.CatalogDtos.ModelEntry;
import io.sluice.app.catalog.CatalogDtos.Page;
import io.sluice.app.catalog.CatalogDtos.StateChange;
import io.sluice.app.catalog.CatalogDtos.Transition;
import io.sluice.app.catalog.CatalogDtos.VerificationRun;
import io.sluice.app.security.Caller;
import io.sluice.core.error.SluiceException;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;

/** The catalog, lifecycle and alias operations (CAT-1, CAT-3, LIFE-1, LIFE-3). Admin role only: tenants get 403. */
@Path("/v1/catalog")
@RolesAllowed(Caller.ADMIN)
@Produces(MediaType.APPLICATION_JSON)
public class CatalogResource {

    @Inject
    CatalogService service;

    @Inject
    Caller caller;

    @POST
    @Path("models")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> createModel(ModelCreate body) {
        return service.ingest(caller.subject(), body).map(i -> i.created()
                ? Response.created(URI.create("/v1/catalog/models/" + i.entry().id())).entity(i.entry()).build()
                : Response.ok(i.entry()).build());
    }

    @GET
    @Path("models")
    public Uni<Page<ModelEntry>> listModels(@QueryParam("name") String name, @QueryParam("state") String state,
            @QueryParam("verification") String verification, @QueryParam("limit") String limit, @QueryParam("cursor") String cursor) {
        return service.list(name, state, verification, cursor, limit(limit));
    }

    @GET
    @Path("models/{model_id}")
    public Uni<ModelEntry> getModel(@PathParam("model_id") String id) {
        return service.get(id);
    }

    @POST
    @Path("models/{model_id}/verify")
    @Consumes(MediaType.WILDCARD)
    public Uni<Response> verifyModel(@PathParam("model_id") String id) {
        return service.verify(id).map(run -> Response.accepted(run).build());
    }

    @POST
    @Path("models/{model_id}/state")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<ModelEntry> changeModelState(@PathParam("model_id") String id, StateChange body) {
        return service.changeState(id, caller.subject(), body);
    }

    @GET
    @Path("models/{model_id}/transitions")
    public Uni<Page<Transition>> listModelTransitions(
            @PathParam("model_id") String id, @QueryParam("limit") String limit, @QueryParam("cursor") String cursor) {
        return service.transitionPage(id, cursor, limit(limit));
    }

    @GET
    @Path("aliases")
    public Uni<Page<Alias>> listAliases(@QueryParam("limit") String limit, @QueryParam("cursor") String cursor) {
        return service.aliases(cursor, limit(limit));
    }

    @GET
    @Path("aliases/{alias}")
    public Uni<Alias> getAlias(@PathParam("alias") String alias) {
        return service.alias(alias);
    }

    @PUT
    @Path("aliases/{alias}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<Response> putAlias(@PathParam("alias") String alias, AliasPut body) {
        return service.putAlias(alias, caller.subject(), body).map(c -> c.created()
                ? Response.status(Response.Status.CREATED).entity(c.alias()).build()
                : Response.ok(c.alias()).build());
    }

    @POST
    @Path("aliases/{alias}/rollback")
    @Consumes(MediaType.WILDCARD)
    public Uni<Alias> rollbackAlias(@PathParam("alias") String alias) {
        return service.rollback(alias, caller.subject());
    }

    static int limit(String raw) {
        if (raw == null) {
            return 50;
        }
        try {
            int n = Integer.parseInt(raw);
            if (n >= 1 && n <= 500) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw SluiceException.invalid("limit", "limit must be an integer between 1 and 500");
    }
}
