package io.sluice.app.observability;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * Liveness (OBS-3, ADR 0014): the process answers HTTP, so it is alive. Deliberately independent of PostgreSQL, the
 * OIDC provider and the engines: restarting Sluice fixes none of them, and a liveness probe that followed them would
 * restart every instance at once during a dependency outage. Those are what readiness reports.
 */
@Liveness
@ApplicationScoped
public class ProcessLiveness implements HealthCheck {
    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.up("sluice");
    }
}
