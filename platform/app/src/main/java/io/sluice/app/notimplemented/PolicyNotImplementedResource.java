package io.sluice.app.notimplemented;

import io.sluice.app.security.Caller;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Operations of the policy lifecycle (POL-4) that the contract defines but that have not landed yet. They
 * authenticate and authorize like the real ones, then answer the contract's typed {@code 501 NOT_IMPLEMENTED}
 * instead of a silent 404. Each method moves to a real resource when its feature lands.
 */
@Path("/v1/policies")
public class PolicyNotImplementedResource {

    /** listPolicies */
    @GET
    @RolesAllowed({Caller.TENANT})
    @Produces(MediaType.APPLICATION_JSON)
    public Response listPolicies() {
        throw NotImplemented.operation("listPolicies");
    }

    /** getPolicy */
    @GET
    @Path("{name}")
    @RolesAllowed({Caller.TENANT})
    @Produces(MediaType.APPLICATION_JSON)
    public Response getPolicy(@PathParam("name") String name) {
        throw NotImplemented.operation("getPolicy");
    }

    /** uploadPolicyVersion */
    @POST
    @Path("{name}/versions")
    @RolesAllowed({Caller.TENANT})
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response uploadPolicyVersion(@PathParam("name") String name) {
        throw NotImplemented.operation("uploadPolicyVersion");
    }

    /** listPolicyVersions */
    @GET
    @Path("{name}/versions")
    @RolesAllowed({Caller.TENANT})
    @Produces(MediaType.APPLICATION_JSON)
    public Response listPolicyVersions(@PathParam("name") String name) {
        throw NotImplemented.operation("listPolicyVersions");
    }

    /** getPolicyVersion */
    @GET
    @Path("{name}/versions/{version}")
    @RolesAllowed({Caller.TENANT})
    @Produces(MediaType.APPLICATION_JSON)
    public Response getPolicyVersion(@PathParam("name") String name, @PathParam("version") String version) {
        throw NotImplemented.operation("getPolicyVersion");
    }

    /** getPolicyBinding */
    @GET
    @Path("{name}/binding")
    @RolesAllowed({Caller.TENANT})
    @Produces(MediaType.APPLICATION_JSON)
    public Response getPolicyBinding(@PathParam("name") String name) {
        throw NotImplemented.operation("getPolicyBinding");
    }

    /** putPolicyBinding */
    @PUT
    @Path("{name}/binding")
    @RolesAllowed({Caller.TENANT})
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response putPolicyBinding(@PathParam("name") String name) {
        throw NotImplemented.operation("putPolicyBinding");
    }

    /** deletePolicyBinding */
    @DELETE
    @Path("{name}/binding")
    @RolesAllowed({Caller.TENANT})
    @Produces(MediaType.APPLICATION_JSON)
    public Response deletePolicyBinding(@PathParam("name") String name) {
        throw NotImplemented.operation("deletePolicyBinding");
    }
}
