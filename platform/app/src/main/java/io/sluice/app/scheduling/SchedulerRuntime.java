package io.sluice.app.scheduling;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.core.admission.AdmissionPipeline;
import io.sluice.core.admission.QuotaGate;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.SluiceConfig;
import io.sluice.core.scheduling.TaskObserver;
import io.sluice.core.scheduling.TaskScheduler;
import io.sluice.engines.EngineAdapters;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * Owns the plain-Java scheduler and admission pipeline for the life of the process: reads the pools file
 * (CFG-1) at start-up, wires observers (persistence, metrics) and closes everything on shutdown.
 */
@ApplicationScoped
public class SchedulerRuntime {
    private static final Logger LOG = Logger.getLogger(SchedulerRuntime.class);

    @Inject
    SluiceAppConfig config;

    @Inject
    Instance<TaskObserver> observers;

    @Inject
    TenantWeights tenantWeights;

    @Inject
    io.sluice.app.policy.TenantPolicyHooks policyHooks;

    private volatile TaskScheduler scheduler;
    private volatile AdmissionPipeline pipeline;
    private volatile SluiceConfig sluiceConfig;

    void start(@Observes @Priority(100) StartupEvent ev) {
        String file = config.configFile().orElseThrow(() -> new IllegalStateException(
                "sluice.config-file (env SLUICE_CONFIG_FILE) must name the YAML file that configures pools and engines"));
        sluiceConfig = new ConfigLoader(config.configStrict()).load(Path.of(file));
        TaskScheduler s = new TaskScheduler(sluiceConfig,
                (pool, replica) -> EngineAdapters.create(pool.engine(), URI.create(replica.url()), pool.model()),
                tenantWeights::weightOf,
                config.tasks().retentionMs());
        for (TaskObserver o : observers) {
            s.addObserver(o);
        }
        pipeline = new AdmissionPipeline(s, policyHooks, QuotaGate.NONE, policyHooks);
        scheduler = s;
        s.start();
        LOG.infof("scheduling %d pools from %s", sluiceConfig.pools().size(), file);
    }

    void stop(@Observes ShutdownEvent ev) {
        TaskScheduler s = scheduler;
        if (s != null) {
            s.close();
        }
    }

    public TaskScheduler scheduler() {
        TaskScheduler s = scheduler;
        if (s == null) {
            throw new IllegalStateException("the scheduler has not started");
        }
        return s;
    }

    public AdmissionPipeline pipeline() {
        return pipeline;
    }

    public SluiceConfig sluiceConfig() {
        return sluiceConfig;
    }
}
