package io.sluice.app.scheduling;

import io.sluice.core.scheduling.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness reflects pool readiness (OBS-3): the platform is ready once every configured model has at least
 * one Ready pool. One pool down does not make the whole platform unready while its model is served elsewhere.
 */
@Readiness
@ApplicationScoped
public class PoolsReadiness implements HealthCheck {
    @Inject
    io.sluice.core.scheduling.TaskScheduler scheduler;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("pools");
        Map<String, Boolean> modelReady = new LinkedHashMap<>();
        for (Pool p : scheduler.pools().pools()) {
            modelReady.merge(p.model(), p.ready(), Boolean::logicalOr);
            b.withData("pool." + p.id(), p.ready() ? "ready" : (p.warmingUp() ? "loading" : "unavailable"));
        }
        boolean up = !modelReady.isEmpty() && modelReady.values().stream().allMatch(v -> v);
        return b.status(up).build();
    }
}
