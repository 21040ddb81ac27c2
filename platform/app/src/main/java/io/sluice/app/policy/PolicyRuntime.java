package io.sluice.app.policy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import io.sluice.app.cluster.ChangeFeed;
import io.sluice.app.policy.store.PolicyStore;
import io.sluice.core.admission.TenantSnapshot;
import io.sluice.policy.host.Hook;
import io.sluice.policy.host.PolicyHost;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyValidationException;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Owns the policy host for the life of the process and the admission-side view of bindings: which compiled
 * module decides which tenant's hook, and the tenants' profiles. Both are read from PostgreSQL at start-up, after
 * every change made through this instance, when the database notifies a change ({@link ChangeFeed}: made by
 * another instance or by hand), and every 30 seconds as a safety net. Admission only reads the in-memory view; it
 * never waits for the database.
 */
@ApplicationScoped
public class PolicyRuntime {
    private static final Logger LOG = Logger.getLogger(PolicyRuntime.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long REFRESH_MS = 30_000;

    @Inject
    MeterRegistry registry;

    @Inject
    PolicyStore store;

    @Inject
    io.sluice.app.config.SluiceAppConfig config;

    @Inject
    ChangeFeed changes;

    private PolicyHost host;
    private final Map<String, PolicyModule> modules = new ConcurrentHashMap<>();
    private volatile Map<String, List<ActiveBinding>> bindings = Map.of();
    private volatile Map<String, TenantProfile> tenants = Map.of();
    private ScheduledExecutorService refresher;

    /** A tenant's tier and labels as policies see them. */
    public record TenantProfile(String tier, Map<String, String> labels) {
        static final TenantProfile DEFAULT = new TenantProfile("standard", Map.of());
    }

    void start(@Observes @Priority(90) StartupEvent ev) throws Throwable {
        var p = config.policy();
        PolicyLimits limits = PolicyLimits.builder()
                .callTimeout(java.time.Duration.ofMillis(p.callTimeoutMs()))
                .callWallTimeout(java.time.Duration.ofMillis(Math.max(p.callWallTimeoutMs(), p.callTimeoutMs())))
                .memoryBytes(p.memoryBytes())
                .outputBytes(p.outputBytes())
                .moduleBytes(p.moduleBytes())
                .build();
        host = PolicyHost.create(limits, new MicrometerPolicyTelemetry(registry));
        reload();
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-policy-refresh");
            t.setDaemon(true);
            return t;
        });
        refresher.scheduleWithFixedDelay(this::refreshQuietly, REFRESH_MS, REFRESH_MS, TimeUnit.MILLISECONDS);
        changes.listen(table -> {
            if (ChangeFeed.ANY.equals(table) || "tenants".equals(table) || "policy_bindings".equals(table)) {
                requestRefresh();
            }
        });
    }

    /** Coalesces bursts of notifications into one reload on the refresher thread. */
    private void requestRefresh() {
        if (refreshRequested.compareAndSet(false, true)) {
            refresher.execute(() -> {
                refreshRequested.set(false);
                refreshQuietly();
            });
        }
    }

    private final java.util.concurrent.atomic.AtomicBoolean refreshRequested = new java.util.concurrent.atomic.AtomicBoolean();

    void stop(@Observes ShutdownEvent ev) {
        if (refresher != null) {
            refresher.shutdownNow();
        }
        if (host != null) {
            host.close();
        }
    }

    public PolicyHost host() {
        return host;
    }

    int uploadsPerMinute() {
        return config.policy().uploadsPerMinute();
    }

    int uploadBurst() {
        return config.policy().uploadBurst();
    }

    /** The binding of {@code tenant} that holds {@code hook}, or null. */
    ActiveBinding bindingFor(String tenant, Hook hook) {
        for (ActiveBinding b : bindings.getOrDefault(tenant, List.of())) {
            if (b.hooks().contains(hook)) {
                return b;
            }
        }
        return null;
    }

    /** What admission knows of a tenant, from memory. */
    public TenantSnapshot tenantSnapshot(String tenant) {
        TenantProfile p = tenants.get(tenant);
        return p == null ? TenantSnapshot.unconfigured(tenant) : new TenantSnapshot(tenant, p.tier(), p.labels());
    }

    /** Whether a policy takes part in the tenant's admission (admit or route), so admission may take milliseconds. */
    public boolean decidesAdmission(String tenant) {
        return bindingFor(tenant, Hook.ADMIT) != null || bindingFor(tenant, Hook.ROUTE) != null;
    }

    /** A compiled module for stored bytes; compiling is cached by digest here and in the host. */
    PolicyModule module(String digest, byte[] bytes) throws PolicyValidationException {
        PolicyModule m = modules.get(digest);
        if (m == null) {
            m = host.compile(bytes);
            modules.put(digest, m);
        }
        return m;
    }

    private void refreshQuietly() {
        try {
            reload();
        } catch (Throwable t) {
            LOG.warnf("could not refresh policy bindings (keeping the previous ones): %s", t.toString());
        }
    }

    /**
     * Re-reads bindings and tenant profiles. Blocks the calling thread (never an event loop): used at start-up,
     * by the refresher and after a binding change before its answer is sent.
     */
    public synchronized void reload() throws Throwable {
        List<Object[]> rows = VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() -> Panache.getSession()
                .flatMap(s -> s.createNativeQuery("select b.tenant_id, b.name, b.hooks_json, b.failure_mode, b.revision, v.digest,"
                                + " cv.digest, coalesce(b.canary_percent, 0) from policy_bindings b"
                                + " join policy_versions v on v.tenant_id = b.tenant_id and v.name = b.name and v.version = b.version"
                                + " left join policy_versions cv on cv.tenant_id = b.tenant_id and cv.name = b.name"
                                + " and cv.version = b.canary_version", Object[].class)
                        .getResultList())));
        Set<String> digests = new HashSet<>();
        for (Object[] r : rows) {
            digests.add((String) r[5]);
            if (r[6] != null) {
                digests.add((String) r[6]);
            }
        }
        for (String d : digests) {
            if (!modules.containsKey(d)) {
                byte[] bytes = VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() -> store.module(d)));
                try {
                    module(d, bytes);
                } catch (PolicyValidationException e) {
                    // Stored modules passed validation at upload; a failure here means the host's rules tightened.
                    LOG.errorf("stored policy module %s no longer compiles: %s", d, e.getMessage());
                }
            }
        }
        Map<String, List<ActiveBinding>> next = new HashMap<>();
        for (Object[] r : rows) {
            String tenant = (String) r[0];
            PolicyModule primary = modules.get((String) r[5]);
            if (primary == null) {
                continue;
            }
            PolicyModule canary = r[6] == null ? null : modules.get((String) r[6]);
            Set<Hook> hooks = new HashSet<>();
            for (String h : JSON.readValue((String) r[2], new TypeReference<List<String>>() {})) {
                hooks.add(Hook.fromWireName(h));
            }
            next.computeIfAbsent(tenant, t -> new ArrayList<>()).add(new ActiveBinding(tenant, (String) r[1], Set.copyOf(hooks),
                    "fail_open".equals(r[3]), primary, canary, ((Number) r[7]).intValue(), ((Number) r[4]).intValue()));
        }
        List<Object[]> tenantRows = VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() -> Panache.getSession()
                .flatMap(s -> s.createNativeQuery("select id, tier, labels_json from tenants where tier is not null or labels_json <> '{}'",
                                Object[].class)
                        .getResultList())));
        Map<String, TenantProfile> profiles = new HashMap<>();
        for (Object[] r : tenantRows) {
            Map<String, String> labels = JSON.readValue((String) r[2], new TypeReference<Map<String, String>>() {});
            profiles.put((String) r[0], new TenantProfile(r[1] == null ? "standard" : (String) r[1], Map.copyOf(labels)));
        }
        bindings = Map.copyOf(next);
        tenants = Map.copyOf(profiles);
    }
}
