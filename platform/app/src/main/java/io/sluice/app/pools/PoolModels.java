package io.sluice.app.pools;

import io.quarkus.runtime.StartupEvent;
import io.sluice.app.catalog.CatalogService.LoadTarget;
import io.sluice.app.cluster.ChangeFeed;
import io.sluice.core.scheduling.Pool;
import io.sluice.core.scheduling.TaskScheduler;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Pool model switches on every instance, and across restarts (POOL-3, ADR 0034). A reload that switched a pool to
 * another model stores it as a row of {@code pool_models} (migration V11) once the switch is in force here. Every
 * instance applies the rows it reads: at start, before probing, by building the pool's replicas for the stored model
 * (their first load is checked by the catalog like any other); later, when PostgreSQL notifies a change
 * ({@link ChangeFeed}) or at the 30 s safety net, through the same staged switch a reload makes
 * ({@link PoolControl#applyStored}), so the old model serves until the new one is Ready.
 *
 * <p>A row applies only while the pool's configuration still names the model it was switched from: an operator who
 * names another model in the YAML afterwards has the last word, and the row is ignored (logged once).
 */
@ApplicationScoped
public class PoolModels {
    private static final Logger LOG = Logger.getLogger(PoolModels.class);
    static final String TABLE = "pool_models";
    private static final long REFRESH_MS = 30_000;
    private static final long START_READ_TIMEOUT_MS = 10_000;

    private static final String LOAD = "select pool_id, configured_model, model_id, model_ref, model_name from pool_models";
    private static final String UPSERT = "insert into pool_models as m (pool_id, configured_model, model_id, model_ref, model_name,"
            + " artifact_digest, switched_at, switched_by) values ($1, $2, $3, $4, $5, $6, now(), $7)"
            + " on conflict (pool_id) do update set configured_model = excluded.configured_model, model_id = excluded.model_id,"
            + " model_ref = excluded.model_ref, model_name = excluded.model_name, artifact_digest = excluded.artifact_digest,"
            + " switched_at = excluded.switched_at, switched_by = excluded.switched_by";

    /** A stored switch: pool {@code poolId}, configured as {@code configuredModel}, serves catalog entry {@code modelId}. */
    record Stored(String poolId, String configuredModel, UUID modelId, String modelRef, String modelName) {}

    @Inject
    io.vertx.sqlclient.Pool db;

    @Inject
    TaskScheduler scheduler;

    @Inject
    PoolControl control;

    @Inject
    ChangeFeed feed;

    @Inject
    Vertx vertx;

    /** The model each pool's configuration names, taken before any stored switch applies. */
    private final Map<String, String> configured = new ConcurrentHashMap<>();
    /** Pools whose stored row was found ignored, so that it is logged once per row, not at every refresh. */
    private final Set<Stored> ignored = ConcurrentHashMap.newKeySet();

    /**
     * After the load check is installed (97) and before probing starts (100): the first load of a switched pool is the
     * stored model's, so a restarted instance never serves the model the switch replaced.
     */
    void start(@Observes @Priority(98) StartupEvent ev) {
        for (Pool p : scheduler.pools().pools()) {
            configured.put(p.id(), p.model());
        }
        try {
            for (Stored s : read(db.preparedQuery(LOAD).execute().toCompletionStage().toCompletableFuture()
                    .get(START_READ_TIMEOUT_MS, TimeUnit.MILLISECONDS))) {
                Pool p = applicable(s);
                if (p != null && !p.model().equals(s.modelName())) {
                    scheduler.serveFromStart(p, s.modelName());
                    LOG.infof("pool %s serves model %s (catalog entry %s), as a reload stored; its configuration names %s", p.id(),
                            s.modelName(), s.modelRef(), s.configuredModel());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the stored pool models", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // Started with the configured models; the refresh below switches them (staged) once the rows can be read.
            LOG.warnf("cannot read the stored pool models at start (%s); the pools start with their configured models and"
                    + " switch when the rows can be read", e.getCause() == null ? e.toString() : e.getCause().toString());
        }
        feed.listen(table -> {
            if (TABLE.equals(table) || ChangeFeed.ANY.equals(table)) {
                refresh();
            }
        });
        vertx.setPeriodic(REFRESH_MS, id -> refresh());
    }

    /** The model the configuration of {@code pool} names (what it served before any switch). */
    String configuredModel(Pool pool) {
        return configured.getOrDefault(pool.id(), pool.model());
    }

    /** Stores that {@code pool} serves {@code target} from now on; every instance follows on notification. */
    CompletionStage<Void> store(Pool pool, LoadTarget target, String by) {
        return db.preparedQuery(UPSERT).execute(Tuple.of(pool.id(), configuredModel(pool), target.id(), target.ref(), target.name(),
                target.artifactDigest(), by)).toCompletionStage().thenApply(rows -> null);
    }

    private void refresh() {
        db.preparedQuery(LOAD).execute().onSuccess(rows -> {
            for (Stored s : read(rows)) {
                Pool p = applicable(s);
                if (p != null && !p.model().equals(s.modelName())) {
                    control.applyStored(p, s);
                }
            }
        }).onFailure(e -> LOG.warnf("cannot read the stored pool models (%s); the pools keep the models they serve", e.toString()));
    }

    /** The pool {@code s} applies to here, or null: the pool is not configured on this instance, or its YAML changed. */
    private Pool applicable(Stored s) {
        Pool p = scheduler.pools().pool(s.poolId()).orElse(null);
        if (p == null) {
            return null;
        }
        if (!s.configuredModel().equals(configuredModel(p))) {
            if (ignored.add(s)) {
                LOG.warnf("pool %s was switched to %s from model %s, but its configuration now names %s: the configuration"
                        + " applies", p.id(), s.modelRef(), s.configuredModel(), configuredModel(p));
            }
            return null;
        }
        return p;
    }

    private static List<Stored> read(RowSet<Row> rows) {
        List<Stored> out = new ArrayList<>();
        for (Row r : rows) {
            out.add(new Stored(r.getString(0), r.getString(1), r.getUUID(2), r.getString(3), r.getString(4)));
        }
        return out;
    }
}
