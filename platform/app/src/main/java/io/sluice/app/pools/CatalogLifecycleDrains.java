package io.sluice.app.pools;

import io.quarkus.runtime.StartupEvent;
import io.sluice.app.catalog.CatalogRuntime;
import io.sluice.core.catalog.ModelState;
import io.sluice.core.scheduling.Pool;
import io.sluice.core.scheduling.Replica;
import io.sluice.core.scheduling.TaskScheduler;
import io.vertx.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * What the lifecycle asks of the pools serving a catalog entry (LIFE-2), applied on every instance from the catalog
 * view each refresh delivers ({@link CatalogRuntime#onRefresh}): a pool serves an entry when its model names it and
 * its engines report the entry's artifact digest ({@link PoolControl#serves}).
 *
 * <ul>
 *   <li>Deprecated with a deadline: until the deadline existing sessions continue; when it passes, the pools serving
 *       the entry drain at once ({@link PoolDrains}: a row every instance applies), so they are drained by then.
 *   <li>Retired: the pools serving the entry drain at once (or by the transition's deadline, when it gave one) and,
 *       when the drain deadline passes, each replica is asked to unload the model (Triton's repository unload; the
 *       other engines have none and simply stop being sent work).
 * </ul>
 * Drains are idempotent upserts and unloads are idempotent on the engine, so several instances doing the same is safe.
 */
@ApplicationScoped
public class CatalogLifecycleDrains {
    private static final Logger LOG = Logger.getLogger(CatalogLifecycleDrains.class);
    private static final String BY = "catalog-lifecycle";

    @Inject
    CatalogRuntime catalog;

    @Inject
    PoolDrains drains;

    @Inject
    TaskScheduler scheduler;

    @Inject
    Vertx vertx;

    /** (entry, state, deadline) already scheduled or applied on this instance, so each refresh does not repeat it. */
    private final Set<String> handled = ConcurrentHashMap.newKeySet();
    /** Pools unloaded for a Retired entry on this instance. */
    private final Map<String, UUID> unloaded = new ConcurrentHashMap<>();

    void start(@Observes @Priority(120) StartupEvent ev) {
        catalog.onRefresh(this::apply);
        apply(catalog.entries());
    }

    private void apply(List<CatalogRuntime.Entry> entries) {
        for (CatalogRuntime.Entry e : entries) {
            if (e.state() == ModelState.Deprecated && e.drainDeadline() != null) {
                if (handled.add(e.id() + "/Deprecated/" + e.drainDeadline())) {
                    vertx.setTimer(millisUntil(e.drainDeadline()), t -> deprecationDeadlinePassed(e));
                }
            } else if (e.state() == ModelState.Retired) {
                for (Pool p : scheduler.pools().pools()) {
                    if (PoolControl.serves(p, e) && handled.add(e.id() + "/Retired/" + p.id())) {
                        retire(p, e);
                    }
                }
            }
        }
    }

    private void deprecationDeadlinePassed(CatalogRuntime.Entry e) {
        // Still Deprecated (or already Retired, which drains too): a reverted or changed deadline is a new entry state.
        boolean current = catalog.entries().stream().anyMatch(now -> now.id().equals(e.id()) && now.state() == ModelState.Deprecated
                && e.drainDeadline().isEqual(now.drainDeadline()));
        if (!current) {
            return;
        }
        for (Pool p : scheduler.pools().pools()) {
            if (PoolControl.serves(p, e)) {
                LOG.infof("model %s is Deprecated and its deadline %s passed: pool %s drains", e.ref(), e.drainDeadline(), p.id());
                drains.drain(p, 0, BY).whenComplete((d, err) -> {
                    if (err != null) {
                        LOG.warnf("could not drain pool %s for deprecated model %s: %s", p.id(), e.ref(), err.toString());
                    }
                });
            }
        }
    }

    private void retire(Pool p, CatalogRuntime.Entry e) {
        long grace = e.drainDeadline() == null ? 0 : millisUntil(e.drainDeadline());
        LOG.infof("model %s is Retired: pool %s stops (drain, grace %d ms) and unloads it", e.ref(), p.id(), grace);
        drains.drain(p, grace, BY).whenComplete((d, err) -> {
            if (err != null) {
                handled.remove(e.id() + "/Retired/" + p.id());
                LOG.warnf("could not drain pool %s for retired model %s (retried on the next refresh): %s", p.id(), e.ref(), err.toString());
                return;
            }
            vertx.setTimer(Math.max(1, Duration.between(Instant.now(), d.deadlineAt().toInstant()).toMillis()), t -> unload(p, e));
        });
    }

    private void unload(Pool p, CatalogRuntime.Entry e) {
        if (unloaded.putIfAbsent(p.id(), e.id()) != null) {
            return;
        }
        for (Replica r : p.replicas()) {
            r.adapter().unload().whenComplete((v, err) -> {
                if (err != null) {
                    LOG.warnf("replica %s could not unload retired model %s: %s", r.qualifiedId(), e.ref(), err.toString());
                } else {
                    LOG.infof("replica %s unloaded retired model %s", r.qualifiedId(), e.ref());
                }
            });
        }
        // The probes see the unloaded model and mark the replicas down.
        scheduler.reprobe(p);
    }

    private static long millisUntil(OffsetDateTime t) {
        return Math.max(1, Duration.between(Instant.now(), t.toInstant()).toMillis());
    }
}
