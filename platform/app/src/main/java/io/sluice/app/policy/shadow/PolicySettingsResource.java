package io.sluice.app.policy.shadow;

import io.sluice.app.policy.shadow.ShadowDtos.SettingsView;
import io.sluice.app.security.Caller;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** The calling tenant's policy settings (POL-8: the pin rule). Blocking: runs on worker threads. */
@Path("/v1/policy-settings")
@RolesAllowed(Caller.TENANT)
@Produces(MediaType.APPLICATION_JSON)
public class PolicySettingsResource {
    @Inject
    ShadowService service;

    @Inject
    Caller caller;

    @GET
    public SettingsView get() {
        return service.settings(caller.tenantId());
    }

    @PUT
    @Consumes(MediaType.APPLICATION_JSON)
    public SettingsView put(SettingsView body) {
        return service.putSettings(caller.tenantId(), body);
    }
}
