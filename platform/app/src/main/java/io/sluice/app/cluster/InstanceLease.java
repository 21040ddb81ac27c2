package io.sluice.app.cluster;

import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * This instance's lease among the instances sharing one database (REL-5), and the resolution of tasks whose
 * instance died.
 *
 * <p>The instance registers a row and renews its lease by heartbeat every third of the lease; the database's
 * clock decides expiry, so instances need no synchronised clocks. A sweep, run at start-up and every half
 * lease on every instance, ends the unfinished tasks of instances whose lease expired (and rows from before
 * instances had leases) with a retriable {@code WORKER_RESET}, in one statement. The task's terminal event id is
 * its event id bound, past anything its lost stream delivered, so a resuming client still gets it.
 *
 * <p>An instance that cannot renew its lease in time stops admitting (typed 503): another instance may already
 * be resolving its tasks. Should it find its row resolved, its running tasks are ended; their stored outcome
 * (the resolver's) is what their streams show, and the instance registers again to go on serving.
 */
public final class InstanceLease implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(InstanceLease.class);

    private static final String REGISTER = """
            insert into instances (id, advertised_url, lease_until) values ($1, $2, now() + $3::int8 * interval '1 millisecond')
            on conflict (id) do update set advertised_url = excluded.advertised_url, heartbeat_at = now(),
              lease_until = excluded.lease_until, resolved_at = null
            """;
    private static final String HEARTBEAT = """
            update instances set heartbeat_at = now(), lease_until = now() + $2::int8 * interval '1 millisecond'
            where id = $1 and resolved_at is null
            """;
    private static final String ADVERTISE = "update instances set advertised_url = $2 where id = $1";
    private static final String LEAVE = "update instances set resolved_at = now(), lease_until = now() where id = $1";
    /**
     * Owners that hold no live lease; an unfinished task of theirs can never end otherwise. Never this instance's own
     * tasks: it is alive (it runs this), and finds out by itself when its lease lapsed.
     */
    private static final String SWEEP = """
            with orphans as (
              update tasks t set state = 'failed', ended_at = now(), terminal_event_id = coalesce(t.event_id_bound, 1),
                error_code = 'WORKER_RESET', error_retriable = true,
                error_message = 'the Sluice instance running the task stopped while it was queued or running; resubmit it'
              where t.state in ('queued', 'running') and t.owner_instance is distinct from $1
                and (t.owner_instance is null or not exists (
                  select 1 from instances i where i.id = t.owner_instance and i.resolved_at is null and i.lease_until >= now()))
              returning t.id, t.owner_instance, t.session_id, t.started_at, t.tokens_reserved
            ),
            -- SES-4 (ADR 0035): a lost task's token reservation is settled here, as its terminal transition would have. What
            -- it streamed before its instance stopped is unknown, so a task that started is charged its whole reservation
            -- (the budget holds); one that never started gives it back.
            settled as (
              update sessions s set tokens_reserved = greatest(0, s.tokens_reserved - o.reserved),
                tokens_used = s.tokens_used + o.charged
              from (select session_id, sum(tokens_reserved) as reserved,
                           coalesce(sum(tokens_reserved) filter (where started_at is not null), 0) as charged
                    from orphans where tokens_reserved is not null group by session_id) o
              where s.id = o.session_id
            ),
            recorded as (
              insert into task_events (task_id, kind, detail_json)
              select id, 'recovered', json_build_object('owner_instance', owner_instance, 'resolved_by', $1::text)::text from orphans
            ),
            expired as (
              update instances set resolved_at = now() where resolved_at is null and lease_until < now() and id <> $1 returning id
            )
            select (select count(*) from orphans), (select count(*) from expired)
            """;
    /** Base URL of a live instance, for forwarding requests about its tasks. */
    private static final String PEER = "select advertised_url from instances where id = $1 and resolved_at is null and lease_until >= now()";

    private final Pool pool;
    private final Vertx vertx;
    private final String id;
    private final long leaseMs;
    private final Runnable onLeaseLost;
    private volatile String advertisedUrl;
    /** System.nanoTime() before which the lease certainly holds: last renewal's send time plus the lease. */
    private volatile long validUntilNanos;
    private volatile boolean closed;
    private long heartbeatTimer = -1;
    private long sweepTimer = -1;

    /**
     * @param onLeaseLost called when this instance finds its tasks were resolved by another instance
     */
    public InstanceLease(Pool pool, Vertx vertx, String id, String advertisedUrl, long leaseMs, Runnable onLeaseLost) {
        this.pool = pool;
        this.vertx = vertx;
        this.id = id;
        this.advertisedUrl = advertisedUrl;
        this.leaseMs = leaseMs;
        this.onLeaseLost = onLeaseLost;
    }

    public String id() {
        return id;
    }

    /** Registers this instance and resolves what dead instances left, then keeps both going; waits for the first. */
    public int start() {
        long sent = System.nanoTime();
        await(pool.preparedQuery(REGISTER).execute(Tuple.of(id, advertisedUrl, leaseMs)).toCompletionStage(), "register this instance");
        validUntilNanos = sent + TimeUnit.MILLISECONDS.toNanos(leaseMs);
        int recovered = await(sweep(), "resolve the tasks of stopped instances");
        heartbeatTimer = vertx.setPeriodic(Math.max(1, leaseMs / 3), t -> heartbeat());
        sweepTimer = vertx.setPeriodic(Math.max(1, leaseMs / 2), t -> sweep());
        LOG.infof("instance %s registered at %s (lease %d ms)", id, advertisedUrl, leaseMs);
        return recovered;
    }

    /** Updates the URL peers use, once the HTTP server's real port is known. */
    public void advertise(String url) {
        advertisedUrl = url;
        pool.preparedQuery(ADVERTISE).execute(Tuple.of(id, url)).onFailure(e -> LOG.warnf("could not advertise %s: %s", url, e.toString()));
    }

    /** Whether this instance may admit: its lease certainly holds. */
    public boolean valid() {
        return !closed && System.nanoTime() - validUntilNanos < 0;
    }

    /** @throws SluiceException DEPENDENCY_UNAVAILABLE when the lease may have expired */
    public void requireValid() {
        if (!valid()) {
            throw new SluiceException(SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE,
                    "this Sluice instance cannot renew its lease in the database; retry, possibly on another instance")
                    .withRetryAfter(1_000L));
        }
    }

    /**
     * Ends the unfinished tasks of instances without a live lease.
     *
     * @return how many tasks were resolved
     */
    public CompletionStage<Integer> sweep() {
        return pool.preparedQuery(SWEEP).execute(Tuple.of(id)).toCompletionStage().thenApply(rows -> {
            Row r = rows.iterator().next();
            int tasks = r.getLong(0).intValue();
            long instances = r.getLong(1);
            if (tasks > 0 || instances > 0) {
                LOG.warnf("resolved %d task(s) of stopped Sluice instances (%d lease(s) expired): ended with WORKER_RESET", tasks,
                        instances);
            }
            return tasks;
        }).exceptionally(e -> {
            LOG.warnf("could not resolve the tasks of stopped instances: %s", e.toString());
            return 0;
        });
    }

    /** The base URL of a live instance, or null when it holds no live lease. */
    public CompletionStage<String> peerUrl(String instanceId) {
        return pool.preparedQuery(PEER).execute(Tuple.of(instanceId)).toCompletionStage()
                .thenApply(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0));
    }

    private void heartbeat() {
        if (closed) {
            return;
        }
        long sent = System.nanoTime();
        pool.preparedQuery(HEARTBEAT).execute(Tuple.of(id, leaseMs)).onComplete(ar -> {
            if (ar.failed()) {
                LOG.warnf("could not renew the lease of instance %s: %s", id, ar.cause().toString());
                return;
            }
            if (ar.result().rowCount() == 1) {
                validUntilNanos = sent + TimeUnit.MILLISECONDS.toNanos(leaseMs);
                return;
            }
            LOG.errorf("the lease of instance %s expired and its tasks were resolved by another instance; ending what still"
                    + " runs here and registering again", id);
            try {
                onLeaseLost.run();
            } finally {
                pool.preparedQuery(REGISTER).execute(Tuple.of(id, advertisedUrl, leaseMs)).onSuccess(rs -> {
                    validUntilNanos = sent + TimeUnit.MILLISECONDS.toNanos(leaseMs);
                });
            }
        });
    }

    /** Stops heartbeats and sweeps; the lease then expires by itself. */
    public void stopRenewing() {
        closed = true;
        if (heartbeatTimer >= 0) {
            vertx.cancelTimer(heartbeatTimer);
        }
        if (sweepTimer >= 0) {
            vertx.cancelTimer(sweepTimer);
        }
    }

    /** Stops renewing and marks this instance resolved: its tasks have ended, nothing is left for others. */
    @Override
    public void close() {
        stopRenewing();
        try {
            await(pool.preparedQuery(LEAVE).execute(Tuple.of(id)).toCompletionStage(), "mark this instance stopped");
        } catch (RuntimeException e) {
            LOG.warnf("could not mark instance %s stopped; its lease expires in %d ms: %s", id, leaseMs, e.toString());
        }
    }

    private static <T> T await(CompletionStage<T> stage, String what) {
        try {
            return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while trying to " + what, e);
        } catch (Exception e) {
            throw new IllegalStateException("could not " + what + ": " + e.getMessage(), e);
        }
    }
}
