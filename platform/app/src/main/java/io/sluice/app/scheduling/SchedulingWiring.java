package io.sluice.app.scheduling;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.http.HttpServerStart;
import io.sluice.app.cluster.InstanceIdentity;
import io.sluice.app.cluster.InstanceLease;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.app.policy.TenantPolicyHooks;
import io.sluice.app.tenancy.TenantDirectory;
import io.sluice.core.admission.AdmissionPipeline;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.SluiceConfig;
import io.sluice.core.quota.QuotaBook;
import io.sluice.core.scheduling.OutcomeStore;
import io.sluice.core.scheduling.TaskObserver;
import io.sluice.core.scheduling.TaskScheduler;
import io.sluice.engines.EngineAdapters;
import io.sluice.engines.EngineOptions;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.net.URI;
import java.nio.file.Path;
import org.jboss.logging.Logger;

/**
 * Wires the plain-Java data plane (ADR 0008): the scheduler, the admission pipeline and this instance's lease are
 * built here once, from configuration, and handed to whoever needs them by injection. Nothing
 * on the task path looks anything up at request time.
 *
 * <p>Start-up order: the lease is registered and what stopped instances left is resolved (REL-2, REL-5) before the
 * scheduler starts and the HTTP server accepts traffic. Shutdown ends what still runs; {@code JournalWiring} then
 * waits (bounded) until those outcomes are written and gives the lease up.
 */
@ApplicationScoped
public class SchedulingWiring {
    private static final Logger LOG = Logger.getLogger(SchedulingWiring.class);

    @Produces
    @Singleton
    SluiceConfig sluiceConfig(SluiceAppConfig config) {
        String file = config.configFile().orElseThrow(() -> new IllegalStateException(
                "sluice.config-file (env SLUICE_CONFIG_FILE) must name the YAML file that configures pools and engines"));
        return new ConfigLoader(config.configStrict()).load(Path.of(file));
    }

    @Produces
    @Singleton
    TaskScheduler scheduler(SluiceConfig sluiceConfig, TenantDirectory tenants, QuotaBook quotas, SluiceAppConfig config,
            OutcomeStore outcomes, Instance<TaskObserver> observers, Vertx vertx) {
        TaskScheduler scheduler = new TaskScheduler(sluiceConfig,
                (pool, replica) -> EngineAdapters.create(pool.engine(), URI.create(replica.url()), pool.model(),
                        EngineOptions.DEFAULTS.withApiKey(replica.apiKey()), vertx),
                tenants::weightOf, config.tasks().retentionMs(), outcomes, quotas);
        for (TaskObserver o : observers) {
            scheduler.addObserver(o);
        }
        return scheduler;
    }

    @Produces
    @Singleton
    AdmissionPipeline pipeline(TaskScheduler scheduler, TenantPolicyHooks policies, QuotaBook quotas) {
        return new AdmissionPipeline(scheduler.pools(), scheduler.runs(), scheduler.planner(), policies, quotas, policies,
                System::currentTimeMillis);
    }

    @Produces
    @Singleton
    InstanceLease lease(Pool pool, Vertx vertx, InstanceIdentity identity, SluiceAppConfig config, TaskScheduler scheduler) {
        String url = config.instance().advertisedUrl().orElse("http://127.0.0.1:" + configuredPort());
        return new InstanceLease(pool, vertx, identity.id(), url, config.instance().leaseMs(),
                () -> scheduler.endAll("this Sluice instance lost its lease; another instance resolved the task; resubmit it",
                        TaskObserver.EndReason.LEASE_LOST));
    }

    private static int configuredPort() {
        return org.eclipse.microprofile.config.ConfigProvider.getConfig().getOptionalValue("quarkus.http.port", Integer.class).orElse(8080);
    }

    /** Starts the data plane: lease and recovery first, then probing and dispatch. */
    void start(@Observes @Priority(100) StartupEvent ev, InstanceLease lease, TaskScheduler scheduler, SluiceConfig sluiceConfig) {
        lease.start();
        scheduler.start();
        LOG.infof("scheduling %d pools as instance %s", sluiceConfig.pools().size(), lease.id());
    }

    void advertise(@Observes HttpServerStart started, InstanceLease lease, InstanceIdentity identity) {
        lease.advertise(identity.listening(started.options().getPort()));
    }

    /** Ends what still runs; the journal then writes those outcomes and gives the lease up (its own observer, later). */
    void stop(@Observes @Priority(100) ShutdownEvent ev, TaskScheduler scheduler) {
        scheduler.close();
    }
}
