package io.sluice.app.pools;

import io.quarkus.runtime.StartupEvent;
import io.sluice.app.cluster.ChangeFeed;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.scheduling.Pool;
import io.sluice.core.scheduling.TaskScheduler;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Pool drains (POOL-3) on every instance. A drain is a row of {@code pool_drains} (migration V6): all instances
 * schedule onto the same pools, so each applies the drains it reads — at start, when PostgreSQL notifies a change
 * ({@link ChangeFeed}, within moments of another instance's drain), and every 30 s as a safety net. Applying a drain
 * stops dispatch and placement on the pool here; when its deadline passes, each instance ends what it still runs or
 * queues on the pool (running: {@code CANCELED}, engine request aborted; queued: {@code POOL_UNAVAILABLE}).
 */
@ApplicationScoped
public class PoolDrains {
    private static final Logger LOG = Logger.getLogger(PoolDrains.class);
    private static final String TABLE = "pool_drains";
    private static final long REFRESH_MS = 30_000;

    private static final String LOAD = "select pool_id, started_at, deadline_at from pool_drains";
    private static final String UPSERT = "insert into pool_drains as d (pool_id, started_at, deadline_at, started_by)"
            + " values ($1, now(), now() + $2::int8 * interval '1 millisecond', $3)"
            + " on conflict (pool_id) do update set deadline_at = least(d.deadline_at, excluded.deadline_at)"
            + " returning started_at, deadline_at";
    private static final String DELETE = "delete from pool_drains where pool_id = $1";

    /** A drain as stored. */
    public record Drain(OffsetDateTime startedAt, OffsetDateTime deadlineAt) {}

    @Inject
    io.vertx.sqlclient.Pool db;

    @Inject
    TaskScheduler scheduler;

    @Inject
    ChangeFeed feed;

    @Inject
    Vertx vertx;

    private final Map<String, Drain> drains = new ConcurrentHashMap<>();
    /** Pool id → (deadline the timer is for, timer id). */
    private final Map<String, Map.Entry<OffsetDateTime, Long>> deadlineTimers = new HashMap<>();

    void start(@Observes @Priority(110) StartupEvent ev) {
        feed.listen(table -> {
            if (TABLE.equals(table) || ChangeFeed.ANY.equals(table)) {
                refresh();
            }
        });
        refresh();
        vertx.setPeriodic(REFRESH_MS, id -> refresh());
    }

    /** The drain of {@code poolId} in force here, if any. */
    public Optional<Drain> drain(String poolId) {
        return Optional.ofNullable(drains.get(poolId));
    }

    /** Starts (or tightens) a drain of {@code pool}; applied here at once, elsewhere on notification. */
    public CompletionStage<Drain> drain(Pool pool, long deadlineMs, String by) {
        return db.preparedQuery(UPSERT).execute(Tuple.of(pool.id(), deadlineMs, by)).toCompletionStage()
                .exceptionally(e -> {
                    throw unavailable("record the drain", e);
                })
                .thenApply(rows -> {
                    Row r = rows.iterator().next();
                    Drain d = new Drain(r.getOffsetDateTime(0), r.getOffsetDateTime(1));
                    synchronized (this) {
                        drains.put(pool.id(), d);
                        apply();
                    }
                    LOG.infof("pool %s drains: no new dispatch; running tasks end by %s", pool.id(), d.deadlineAt());
                    return d;
                });
    }

    /** Ends the drain of {@code pool} (a reload): it serves again, here at once, elsewhere on notification. */
    public CompletionStage<Void> end(Pool pool) {
        return db.preparedQuery(DELETE).execute(Tuple.of(pool.id())).toCompletionStage()
                .exceptionally(e -> {
                    throw unavailable("end the drain", e);
                })
                .thenApply(rows -> {
                    synchronized (this) {
                        drains.remove(pool.id());
                        apply();
                    }
                    return null;
                });
    }

    private void refresh() {
        db.preparedQuery(LOAD).execute().onSuccess(rows -> {
            Map<String, Drain> read = new HashMap<>();
            for (Row r : rows) {
                read.put(r.getString(0), new Drain(r.getOffsetDateTime(1), r.getOffsetDateTime(2)));
            }
            synchronized (this) {
                drains.keySet().retainAll(read.keySet());
                drains.putAll(read);
                apply();
            }
        }).onFailure(e -> LOG.warnf("cannot read pool drains (%s); keeping the ones known", e.toString()));
    }

    /** Makes the pools' drain state match {@link #drains}; under this object's lock. */
    private void apply() {
        for (Pool p : scheduler.pools().pools()) {
            Drain d = drains.get(p.id());
            if (d != null && !p.draining()) {
                scheduler.draining(p, true);
            } else if (d == null && p.draining()) {
                scheduler.draining(p, false);
                LOG.infof("pool %s serves again", p.id());
            }
            Map.Entry<OffsetDateTime, Long> timer = deadlineTimers.get(p.id());
            if (d == null || (timer != null && !timer.getKey().isEqual(d.deadlineAt()))) {
                if (timer != null) {
                    vertx.cancelTimer(timer.getValue());
                    deadlineTimers.remove(p.id());
                }
            }
            if (d != null && !deadlineTimers.containsKey(p.id())) {
                long delay = Math.max(1, Duration.between(Instant.now(), d.deadlineAt().toInstant()).toMillis());
                OffsetDateTime deadline = d.deadlineAt();
                long id = vertx.setTimer(delay, t -> deadlinePassed(p, deadline));
                deadlineTimers.put(p.id(), Map.entry(deadline, id));
            }
        }
    }

    private void deadlinePassed(Pool pool, OffsetDateTime deadline) {
        synchronized (this) {
            Drain d = drains.get(pool.id());
            if (d == null || !d.deadlineAt().isEqual(deadline)) {
                return;
            }
        }
        // Ending tasks commits their outcomes through the journal: off the event loop's timer callback is not needed
        // (finishing never blocks), but it is kept short.
        int ended = scheduler.endDrainedTasks(pool);
        if (ended > 0) {
            LOG.infof("pool %s drain deadline passed: ended %d tasks", pool.id(), ended);
        }
    }

    private static SluiceException unavailable(String what, Throwable e) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof SluiceException se) {
            return se;
        }
        LOG.warnf("could not %s: %s", what, cause.toString());
        return new SluiceException(SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE, "the database is unreachable; could not " + what)
                .withRetryAfter(1_000L));
    }
}
