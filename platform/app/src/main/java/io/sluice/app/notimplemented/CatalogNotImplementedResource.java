package io.sluice.app.notimplemented;

import io.sluice.app.security.Caller;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Operations of the catalog and lifecycle (CAT, LIFE) that the contract defines but that have not landed yet. They
 * authenticate and authorize like the real ones, then answer the contract's typed {@code 501 NOT_IMPLEMENTED}
 * instead of a silent 404. Each method moves to a real resource when its feature lands.
 */
@Path("/v1/catalog")
public class CatalogNotImplementedResource {

    /** createModel */
    @POST
    @Path("models")
    @RolesAllowed({Caller.ADMIN})
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response createModel() {
        throw NotImplemented.operation("createModel");
    }

    /** listModels */
    @GET
    @Path("models")
    @RolesAllowed({Caller.ADMIN})
    @Produces(MediaType.APPLICATION_JSON)
    public Response listModels() {
        throw NotImplemented.operation("listModels");
    }

    /** getModel */
    @GET
    @Path("models/{model_id}")
    @RolesAllowed({Caller.ADMIN})
    @Produces(MediaType.APPLICATION_JSON)
    public Response getModel(@PathParam("model_id") String modelId) {
        throw NotImplemented.operation("getModel");
    }

    /** verifyModel */
    @POST
    @Path("models/{model_id}/verify")
    @RolesAllowed({Caller.ADMIN})
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response verifyModel(@PathParam("model_id") String modelId) {
        throw NotImplemented.operation("verifyModel");
    }

    /** changeModelState */
    @POST
    @Path("models/{model_id}/state")
    @RolesAllowed({Caller.ADMIN})
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response changeModelState(@PathParam("model_id") String modelId) {
        throw NotImplemented.operation("changeModelState");
    }

    /** listModelTransitions */
    @GET
    @Path("models/{model_id}/transitions")
    @RolesAllowed({Caller.ADMIN})
    @Produces(MediaType.APPLICATION_JSON)
    public Response listModelTransitions(@PathParam("model_id") String modelId) {
        throw NotImplemented.operation("listModelTransitions");
    }

    /** listAliases */
    @GET
    @Path("aliases")
    @RolesAllowed({Caller.ADMIN})
    @Produces(MediaType.APPLICATION_JSON)
    public Response listAliases() {
        throw NotImplemented.operation("listAliases");
    }

    /** getAlias */
    @GET
    @Path("aliases/{alias}")
    @RolesAllowed({Caller.ADMIN})
    @Produces(MediaType.APPLICATION_JSON)
    public Response getAlias(@PathParam("alias") String alias) {
        throw NotImplemented.operation("getAlias");
    }

    /** putAlias */
    @PUT
    @Path("aliases/{alias}")
    @RolesAllowed({Caller.ADMIN})
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response putAlias(@PathParam("alias") String alias) {
        throw NotImplemented.operation("putAlias");
    }

    /** rollbackAlias */
    @POST
    @Path("aliases/{alias}/rollback")
    @RolesAllowed({Caller.ADMIN})
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response rollbackAlias(@PathParam("alias") String alias) {
        throw NotImplemented.operation("rollbackAlias");
    }
}
