package io.sluice.app.sessions;

import io.sluice.app.security.Caller;
import io.sluice.core.error.SluiceException;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/** The data plane's session operations (SES-1, SES-4): tenant role, own sessions only (SEC-3). */
@Path("/v1/sessions/{session_id}")
@RolesAllowed(Caller.TENANT)
public class SessionResource {

    @Inject
    SessionService sessions;

    @Inject
    Caller caller;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public CompletionStage<SessionView> get(@PathParam("session_id") String sessionId) {
        String tenant = caller.tenantId();
        return sessions.get(parse(sessionId), tenant);
    }

    @DELETE
    public CompletionStage<Response> delete(@PathParam("session_id") String sessionId) {
        String tenant = caller.tenantId();
        return sessions.delete(parse(sessionId), tenant).thenApply(v -> Response.noContent().build());
    }

    private static UUID parse(String raw) {
        try {
            return UUID.fromString(raw);
        } catch (IllegalArgumentException e) {
            throw SluiceException.invalid("path.session_id", "session_id must be a UUID");
        }
    }
}
