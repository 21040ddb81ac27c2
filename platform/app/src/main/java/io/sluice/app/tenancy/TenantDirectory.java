package io.sluice.app.tenancy;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sluice.app.cluster.ChangeFeed;
import io.sluice.app.cluster.InstanceIdentity;
import io.sluice.app.security.IdentityMap;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.quota.QuotaBook;
import io.sluice.core.scheduling.TaskScheduler;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The tenancy settings every instance serves from memory (SCH-1 weights, SCH-3 quotas and disabled tenants, identity
 * mappings): read from PostgreSQL at start-up, when the database notifies a change of {@code tenants},
 * {@code tenant_quotas}, {@code tenant_identities} or {@code instances} ({@link ChangeFeed}, whoever made it), after
 * every change made through this instance before its answer, and every {@value #REFRESH_MS} ms as a safety net.
 * Admission and dispatch only read the current snapshot; they never wait for the database.
 *
 * <p>Reloads run one at a time on their own thread; a reload asked for while one runs is folded into one more.
 */
@ApplicationScoped
public class TenantDirectory implements IdentityMap {
    private static final Logger LOG = Logger.getLogger(TenantDirectory.class);
    static final long REFRESH_MS = 10_000;
    private static final Set<String> TABLES = Set.of("tenants", "tenant_quotas", "tenant_identities", "instances", ChangeFeed.ANY);

    @Inject
    TenancyStore store;

    @Inject
    ChangeFeed changes;

    @Inject
    InstanceIdentity instance;

    @Inject
    QuotaBook quotas;

    @Inject
    Instance<TaskScheduler> scheduler;

    @Inject
    io.micrometer.core.instrument.MeterRegistry registry;

    private volatile TenancyStore.Snapshot current =
            new TenancyStore.Snapshot(Map.of(), Map.of(), Map.of(), Map.of(), List.of(), Set.of());
    private volatile int liveInstances = 1;
    private ScheduledExecutorService worker;
    private CompletableFuture<Void> running;
    private CompletableFuture<Void> next;

    void start(@Observes @Priority(110) StartupEvent ev) throws Exception {
        worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-tenancy-refresh");
            t.setDaemon(true);
            return t;
        });
        reload().toCompletableFuture().get(30, TimeUnit.SECONDS);
        io.micrometer.core.instrument.Gauge.builder("quota_instances", quotas, QuotaBook::instances)
                .description("Live instances this instance splits every tenant quota with, itself included (SCH-3)")
                .register(registry);
        worker.scheduleWithFixedDelay(() -> reload(), REFRESH_MS, REFRESH_MS, TimeUnit.MILLISECONDS);
        changes.listen(table -> {
            if (TABLES.contains(table)) {
                reload();
            }
        });
    }

    void stop(@Observes ShutdownEvent ev) {
        if (worker != null) {
            worker.shutdownNow();
        }
    }

    /** Weight of a tenant in fair queuing (SCH-1); 1 when none was set. */
    /**
     * Instances sharing per-tenant limits, this one included (at least 1): those whose lease row is not resolved, as
     * the quota split counts them (ADR 0012).
     */
    public int liveInstances() {
        return liveInstances;
    }

    public double weightOf(String tenant) {
        return current.weights().getOrDefault(tenant, 1.0);
    }

    public boolean disabled(String tenant) {
        return current.disabled().getOrDefault(tenant, false);
    }

    /**
     * Whether the tenant's tasks are canceled when the last reader of their stream disconnects, for requests that do
     * not say (SSE-3); false unless an admin set it.
     */
    public boolean cancelsOnDisconnect(String tenant) {
        return current.cancelOnDisconnect().contains(tenant);
    }

    /** Refuses a new task of a disabled tenant (SCH-3, ADR 0012). */
    public void requireEnabled(String tenant) {
        if (disabled(tenant)) {
            throw new SluiceException(SluiceError.of(ErrorCode.FORBIDDEN, "tenant " + tenant + " is disabled; it may not submit tasks")
                    .withStage(AdmissionStage.AUTHENTICATE));
        }
    }

    @Override
    public Optional<String> tenantOf(String issuer, String claimValue) {
        return Optional.ofNullable(current.identities().get(TenancyStore.identityKey(issuer, claimValue)));
    }

    /**
     * Reads the settings again and applies them. The returned stage completes once a reload that started after this
     * call has been applied (so a writer that waits for it reads its own write here).
     */
    public synchronized CompletionStage<Void> reload() {
        if (running == null) {
            running = new CompletableFuture<>();
            CompletableFuture<Void> mine = running;
            worker.execute(() -> runReload(mine));
            return mine;
        }
        if (next == null) {
            next = new CompletableFuture<>();
        }
        return next;
    }

    private void runReload(CompletableFuture<Void> done) {
        CompletionStage<TenancyStore.Snapshot> read;
        try {
            read = store.snapshot();
        } catch (RuntimeException e) {
            read = CompletableFuture.failedFuture(e);
        }
        read.whenCompleteAsync((snapshot, err) -> {
            if (err != null) {
                LOG.warnf("could not reload tenant settings (keeping the previous ones): %s", err.toString());
            } else {
                try {
                    apply(snapshot);
                } catch (RuntimeException e) {
                    LOG.errorf(e, "could not apply tenant settings");
                }
            }
            done.complete(null);
            CompletableFuture<Void> follow;
            synchronized (this) {
                follow = next;
                next = null;
                running = follow;
            }
            if (follow != null) {
                runReload(follow);
            }
        }, worker);
    }

    private void apply(TenancyStore.Snapshot s) {
        TenancyStore.Snapshot before = current;
        List<String> live = new ArrayList<>(s.liveInstances());
        // This instance counts even before its lease row is visible: counting too few instances would overrun quotas.
        if (!live.contains(instance.id())) {
            live.add(instance.id());
            live.sort(null);
        }
        quotas.apply(s.quotas(), live.size(), live.indexOf(instance.id()));
        liveInstances = live.size();
        current = s;
        if (!scheduler.isResolvable()) {
            return;
        }
        TaskScheduler sched = scheduler.get();
        for (Map.Entry<String, Boolean> d : s.disabled().entrySet()) {
            if (d.getValue() && !before.disabled().getOrDefault(d.getKey(), false)) {
                int n = sched.dispatcher().cancelQueued(d.getKey(), "tenant " + d.getKey() + " was disabled by an admin");
                LOG.infof("tenant %s is disabled: %d queued tasks canceled here, running ones finish", d.getKey(), n);
            }
        }
        // A raised concurrency quota or a new instance count may let held-back tasks start.
        sched.redispatch();
    }
}
