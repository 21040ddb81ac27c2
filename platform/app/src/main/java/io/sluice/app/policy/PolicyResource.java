package io.sluice.app.policy;

import io.smallrye.mutiny.Uni;
import io.sluice.app.policy.PolicyDtos.BindingPut;
import io.sluice.app.policy.PolicyDtos.BindingView;
import io.sluice.app.policy.PolicyDtos.Page;
import io.sluice.app.policy.PolicyDtos.PolicySummary;
import io.sluice.app.policy.PolicyDtos.VersionView;
import io.sluice.app.policy.shadow.ShadowDtos.ReplayPost;
import io.sluice.app.policy.shadow.ShadowDtos.Report;
import io.sluice.app.policy.shadow.ShadowDtos.ShadowPut;
import io.sluice.app.policy.shadow.ShadowDtos.ShadowView;
import io.sluice.app.policy.shadow.ShadowService;
import io.sluice.app.security.Caller;
import io.sluice.core.error.SluiceException;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
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
import org.jboss.resteasy.reactive.RestForm;
import org.jboss.resteasy.reactive.multipart.FileUpload;

/** Tenant policy lifecycle (POL-4), shadow candidates and replay (POL-8). Tenant role; a tenant only ever sees its own policies (SEC-3). */
@Path("/v1/policies")
@RolesAllowed(Caller.TENANT)
@Produces(MediaType.APPLICATION_JSON)
public class PolicyResource {
    static final String WASM = "application/wasm";

    @Inject
    PolicyService service;

    @Inject
    Caller caller;

    @Inject
    ShadowService shadows;

    @GET
    public Uni<Page<PolicySummary>> list() {
        return service.list(caller.tenantId()).map(Page::new);
    }

    @GET
    @Path("{name}")
    public Uni<PolicySummary> get(@PathParam("name") String name) {
        return service.get(caller.tenantId(), name);
    }

    /** Upload as the raw module body. */
    @POST
    @Path("{name}/versions")
    @Consumes(WASM)
    public Uni<Response> uploadRaw(@PathParam("name") String name, byte[] module) {
        return answer(name, service.upload(caller.tenantId(), caller.subject(), name, module, null));
    }

    /** Upload as multipart: a {@code module} part and an optional {@code fixtures} part (POL-4 tenant fixtures). */
    @POST
    @Path("{name}/versions")
    @Consumes(MediaType.MULTIPART_FORM_DATA)
    public Uni<Response> uploadMultipart(
            @PathParam("name") String name, @RestForm("module") FileUpload module, @RestForm("fixtures") String fixtures) {
        if (module == null) {
            throw SluiceException.invalid("module", "parse: the multipart body has no 'module' part");
        }
        byte[] bytes;
        try {
            bytes = java.nio.file.Files.readAllBytes(module.uploadedFile());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("could not read the uploaded module", e);
        }
        return answer(name, service.upload(caller.tenantId(), caller.subject(), name, bytes, fixtures));
    }

    private static Uni<Response> answer(String name, Uni<PolicyService.Uploaded> uploaded) {
        return uploaded.map(u -> u.created()
                ? Response.created(URI.create("/v1/policies/" + name + "/versions/" + u.version().version())).entity(u.version()).build()
                : Response.ok(u.version()).build());
    }

    @GET
    @Path("{name}/versions")
    public Uni<Page<VersionView>> versions(@PathParam("name") String name) {
        return service.versions(caller.tenantId(), name).map(Page::new);
    }

    @GET
    @Path("{name}/versions/{version}")
    public Uni<VersionView> version(@PathParam("name") String name, @PathParam("version") String version) {
        return service.version(caller.tenantId(), name, version);
    }

    @GET
    @Path("{name}/binding")
    public Uni<BindingView> binding(@PathParam("name") String name) {
        return service.binding(caller.tenantId(), name);
    }

    @PUT
    @Path("{name}/binding")
    @Consumes(MediaType.APPLICATION_JSON)
    public Uni<BindingView> bind(@PathParam("name") String name, BindingPut body) {
        String tenant = caller.tenantId();
        String subject = caller.subject();
        return shadows.checkPin(tenant, name, body == null ? null : body.version())
                .flatMap(v -> service.bind(tenant, subject, name, body));
    }

    // POL-8: shadow candidate, diff reports and replay. Blocking (database and guest calls): run on worker threads.

    @GET
    @Path("{name}/shadow")
    public ShadowView shadow(@PathParam("name") String name) {
        return shadows.shadow(caller.tenantId(), name);
    }

    @PUT
    @Path("{name}/shadow")
    @Consumes(MediaType.APPLICATION_JSON)
    public ShadowView putShadow(@PathParam("name") String name, ShadowPut body) {
        return shadows.putShadow(caller.tenantId(), caller.subject(), name, body);
    }

    @DELETE
    @Path("{name}/shadow")
    public Response deleteShadow(@PathParam("name") String name) {
        shadows.deleteShadow(caller.tenantId(), name);
        return Response.noContent().build();
    }

    @GET
    @Path("{name}/shadow/report")
    public Report shadowReport(@PathParam("name") String name, @QueryParam("hook") String hook) {
        return shadows.shadowReport(caller.tenantId(), name, hook);
    }

    @POST
    @Path("{name}/replays")
    @Consumes(MediaType.APPLICATION_JSON)
    public Report replay(@PathParam("name") String name, ReplayPost body) {
        return shadows.replay(caller.tenantId(), name, body);
    }

    @DELETE
    @Path("{name}/binding")
    public Uni<Response> unbind(@PathParam("name") String name) {
        return service.unbind(caller.tenantId(), name).map(v -> Response.noContent().build());
    }
}
