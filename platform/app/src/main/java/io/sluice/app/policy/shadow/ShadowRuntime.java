package io.sluice.app.policy.shadow;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import io.sluice.app.cluster.ChangeFeed;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.app.policy.PolicyRuntime;
import io.sluice.app.policy.store.PolicyStore;
import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.Hook;
import io.sluice.policy.host.PolicyHost;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyTelemetry;
import io.sluice.policy.host.PolicyValidationException;
import io.sluice.policy.host.RouteInput;
import io.sluice.policy.host.RouteOutcome;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Shadow candidates off the critical path (POL-8, ADR 0026, ADR 0036). Admission hands every live admit decision to
 * {@link #observe} and every live route decision to {@link #observeRoute}: it is queued for the decision log and,
 * when the policy has a shadow candidate implementing that hook, the same input is queued for the candidate. Both
 * queues are bounded; a full queue drops and counts, so admission and placement never wait.
 *
 * <p>Candidates run on a policy host of their own with its own tenant slots and threads, so a spinning or failing
 * candidate cannot take a slot a live call of the same tenant needs; replays use a third host for the same reason.
 * Shadow bindings are read from PostgreSQL like active bindings: at start-up, on a change notification from any
 * instance, after a change made here, and every 30 seconds.
 */
@ApplicationScoped
public class ShadowRuntime {
    private static final Logger LOG = Logger.getLogger(ShadowRuntime.class);
    private static final long REFRESH_MS = 30_000;

    @Inject
    PolicyRuntime live;

    @Inject
    PolicyStore store;

    @Inject
    SluiceAppConfig config;

    @Inject
    ChangeFeed changes;

    @Inject
    MeterRegistry registry;

    @Inject
    DecisionLog log;

    /** A shadow binding as the shadow thread uses it. */
    record Candidate(String tenantId, String name, String version, PolicyModule module) {
        boolean implementsHook(Hook hook) {
            return module.descriptor().implementsHook(hook);
        }
    }

    /** One candidate evaluation. */
    record Evaluation(String decision, String errorKind, long latencyMicros) {}

    private PolicyHost shadowHost;
    private PolicyHost replayHost;
    private volatile Map<String, Candidate> candidates = Map.of();
    private final Map<String, PolicyModule> shadowModules = new ConcurrentHashMap<>();
    private final Map<String, PolicyModule> replayModules = new ConcurrentHashMap<>();
    private ThreadPoolExecutor executor;
    private ScheduledExecutorService refresher;
    private Counter dropped;
    private final AtomicBoolean refreshRequested = new AtomicBoolean();

    void start(@Observes @Priority(95) StartupEvent ev) throws Throwable {
        int threads = Math.max(1, config.policy().shadow().threads());
        // Guest calls run on the calling (shadow) thread; the tenant bound is the thread count, so that one tenant's
        // spinning candidate holds at most the shadow threads and never a live slot.
        var limits = live.host().limits().toBuilder()
                .onCallerThread(true)
                .workerThreads(threads + 1)
                .tenantConcurrency(threads)
                .build();
        shadowHost = PolicyHost.create(limits, PolicyTelemetry.NONE);
        replayHost = PolicyHost.create(limits, PolicyTelemetry.NONE);
        dropped = Counter.builder("policy.shadow.dropped")
                .description("Shadow evaluations dropped because the shadow queue was full")
                .register(registry);
        AtomicInteger n = new AtomicInteger();
        executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(Math.max(1, config.policy().shadow().queueCapacity())), r -> {
                    Thread t = new Thread(r, "sluice-policy-shadow-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-policy-shadow-refresh");
            t.setDaemon(true);
            return t;
        });
        reload();
        refresher.scheduleWithFixedDelay(this::refreshQuietly, REFRESH_MS, REFRESH_MS, TimeUnit.MILLISECONDS);
        changes.listen(table -> {
            if (ChangeFeed.ANY.equals(table) || "policy_shadows".equals(table)) {
                requestRefresh();
            }
        });
    }

    void stop(@Observes ShutdownEvent ev) {
        if (refresher != null) {
            refresher.shutdownNow();
        }
        if (executor != null) {
            executor.shutdownNow();
        }
        if (shadowHost != null) {
            shadowHost.close();
        }
        if (replayHost != null) {
            replayHost.close();
        }
    }

    /** Whether {@code tenant}'s policy {@code name} has a shadow candidate that reads the prompt (in any hook). */
    public boolean candidateNeedsPrompt(String tenant, String name) {
        Candidate c = candidates.get(key(tenant, name));
        return c != null && c.module().descriptor().needsPrompt();
    }

    /**
     * Called by admission once the live decision of an admit policy is made. Never blocks and never throws: the
     * record and the shadow evaluation are queued, or dropped and counted when their queue is full.
     *
     * @param decision {@code allow}, {@code deny}, {@code modify}, {@code fail_open} or {@code error}
     */
    public void observe(String tenant, String name, String activeVersion, String decision, AdmitInput input) {
        try {
            long now = System.currentTimeMillis();
            log.recordDecision(tenant, name, Hook.ADMIT, activeVersion, decision, null, input, now);
            Candidate c = candidates.get(key(tenant, name));
            if (c == null || c.version().equals(activeVersion) || !c.implementsHook(Hook.ADMIT)) {
                return;
            }
            executor.execute(() -> {
                Evaluation e = evaluate(shadowHost, c.module(), tenant, input);
                log.recordShadow(tenant, name, Hook.ADMIT, c.version(), activeVersion, decision, e, input, now);
            });
        } catch (RejectedExecutionException full) {
            dropped.increment();
        } catch (RuntimeException unexpected) {
            LOG.debugf("shadow observation skipped: %s", unexpected.toString());
        }
    }

    /**
     * Called by placement once the live decision of a route policy is made. Never blocks and never throws, like
     * {@link #observe}. The decision is named ({@link RouteDecisions}) off the calling thread: by the record flusher
     * and by the shadow thread.
     *
     * @param order the replica ids the live call chose, or null when it failed
     * @param failure {@code error} or {@code fail_open} when the live call failed, else null
     */
    public void observeRoute(String tenant, String name, String activeVersion, List<String> order, String failure, RouteInput input) {
        try {
            long now = System.currentTimeMillis();
            log.recordDecision(tenant, name, Hook.ROUTE, activeVersion, failure, order, input, now);
            Candidate c = candidates.get(key(tenant, name));
            if (c == null || c.version().equals(activeVersion) || !c.implementsHook(Hook.ROUTE)) {
                return;
            }
            executor.execute(() -> {
                Evaluation e = evaluateRoute(shadowHost, c.module(), tenant, input);
                String active = failure != null ? failure : RouteDecisions.label(order, input.candidates());
                log.recordShadow(tenant, name, Hook.ROUTE, c.version(), activeVersion, active, e, input, now);
            });
        } catch (RejectedExecutionException full) {
            dropped.increment();
        } catch (RuntimeException unexpected) {
            LOG.debugf("route shadow observation skipped: %s", unexpected.toString());
        }
    }

    /** Runs a candidate on one recorded admit input for a replay; blocks the calling (worker) thread. */
    Evaluation replay(PolicyModule candidate, String tenant, AdmitInput input) {
        return evaluate(replayHost, candidate, tenant, input);
    }

    /** Runs a candidate on one recorded route input for a replay; blocks the calling (worker) thread. */
    Evaluation replayRoute(PolicyModule candidate, String tenant, RouteInput input) {
        return evaluateRoute(replayHost, candidate, tenant, input);
    }

    /** A stored version compiled by the replay host (cached by digest). */
    PolicyModule replayModule(String digest) throws Throwable {
        return compiled(replayHost, replayModules, digest);
    }

    private PolicyModule compiled(PolicyHost host, Map<String, PolicyModule> cache, String digest) throws Throwable {
        PolicyModule m = cache.get(digest);
        if (m == null) {
            byte[] bytes = VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() -> store.module(digest)));
            m = host.compile(bytes);
            cache.put(digest, m);
        }
        return m;
    }

    private static Evaluation evaluate(PolicyHost host, PolicyModule module, String tenant, AdmitInput input) {
        long t0 = System.nanoTime();
        AdmitOutcome o = host.admit(tenant, module, input);
        long micros = (System.nanoTime() - t0) / 1_000;
        if (o.isError()) {
            return new Evaluation("error", o.error().kind().name().toLowerCase(), micros);
        }
        return new Evaluation(o.decision().name().toLowerCase(), null, micros);
    }

    private static Evaluation evaluateRoute(PolicyHost host, PolicyModule module, String tenant, RouteInput input) {
        long t0 = System.nanoTime();
        RouteOutcome o = host.route(tenant, module, input);
        long micros = (System.nanoTime() - t0) / 1_000;
        if (o.isError()) {
            return new Evaluation("error", o.error().kind().name().toLowerCase(), micros);
        }
        return new Evaluation(RouteDecisions.label(o.order(), input.candidates()), null, micros);
    }

    private void requestRefresh() {
        if (refreshRequested.compareAndSet(false, true)) {
            refresher.execute(() -> {
                refreshRequested.set(false);
                refreshQuietly();
            });
        }
    }

    private void refreshQuietly() {
        try {
            reload();
        } catch (Throwable t) {
            LOG.warnf("could not refresh shadow bindings (keeping the previous ones): %s", t.toString());
        }
    }

    /** Re-reads shadow bindings. Blocks the calling thread (never an event loop). */
    public synchronized void reload() throws Throwable {
        List<Object[]> rows = VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() -> Panache.getSession()
                .flatMap(s -> s.createNativeQuery("select s.tenant_id, s.name, s.version, v.digest from policy_shadows s"
                                + " join policy_versions v on v.tenant_id = s.tenant_id and v.name = s.name and v.version = s.version",
                                Object[].class)
                        .getResultList())));
        Map<String, Candidate> next = new HashMap<>();
        for (Object[] r : rows) {
            String digest = (String) r[3];
            try {
                next.put(key((String) r[0], (String) r[1]), new Candidate((String) r[0], (String) r[1], (String) r[2],
                        compiled(shadowHost, shadowModules, digest)));
            } catch (PolicyValidationException e) {
                LOG.errorf("stored policy module %s no longer compiles: %s", digest, e.getMessage());
            }
        }
        candidates = Map.copyOf(next);
    }

    private static String key(String tenant, String name) {
        return tenant + "/" + name;
    }
}
