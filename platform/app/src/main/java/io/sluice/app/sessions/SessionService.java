package io.sluice.app.sessions;

import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.scheduling.Pool;
import io.sluice.core.scheduling.Replica;
import io.sluice.core.scheduling.ReplicaState;
import io.sluice.core.scheduling.TaskScheduler;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import org.jboss.logging.Logger;

/**
 * Reading and deleting sessions (SES-1, SES-4). Sessions are created and counted by the task journal's admission
 * statement; their usage is added by its batched transitions. Unknown, expired, deleted and other tenants' sessions
 * are all "not found" (SEC-3). These are single reads and writes off the task path.
 */
@ApplicationScoped
public class SessionService {
    private static final Logger LOG = Logger.getLogger(SessionService.class);

    private static final String GET = "select tenant_id, turns, max_turns, context_tokens, last_replica_id, tokens_budget - tokens_used,"
            + " time_budget_ms - time_used_ms, cost_budget - cost_used,"
            + " greatest(0, floor(extract(epoch from (expires_at - now())) * 1000))::int8 as ttl_left"
            + " from sessions where id = $1 and tenant_id = $2 and deleted_at is null and expires_at > now()";

    private static final String DELETE = "update sessions set deleted_at = now()"
            + " where id = $1 and tenant_id = $2 and deleted_at is null and expires_at > now() returning id";

    @Inject
    io.vertx.sqlclient.Pool db;

    @Inject
    TaskScheduler scheduler;

    @Inject
    SessionAffinity affinity;

    public CompletionStage<SessionView> get(UUID id, String tenantId) {
        return db.preparedQuery(GET).execute(Tuple.of(id, tenantId)).toCompletionStage().exceptionally(e -> {
            throw unavailable("read the session", e);
        }).thenApply(rows -> {
            if (rows.size() == 0) {
                throw SluiceException.notFound("session " + id);
            }
            Row r = rows.iterator().next();
            String replica = r.getString(4);
            Replica ready = readyReplica(replica);
            return new SessionView(id.toString(), r.getLong(8), r.getInteger(1), r.getInteger(2), kvBytes(ready, r.getLong(3)), ready != null,
                    replica,
                    nonNegative(r.getLong(5)), nonNegative(r.getLong(6)),
                    r.getDouble(7) == null ? null : SessionBudgets.round(Math.max(0.0, r.getDouble(7))));
        });
    }

    /**
     * Ends the session: later tasks naming it are refused ({@code CONFLICT}); tasks of it already queued or running go
     * on, without affinity for anything later.
     */
    public CompletionStage<Void> delete(UUID id, String tenantId) {
        return db.preparedQuery(DELETE).execute(Tuple.of(id, tenantId)).toCompletionStage().exceptionally(e -> {
            throw unavailable("delete the session", e);
        }).thenApply(rows -> {
            if (rows.size() == 0) {
                throw SluiceException.notFound("session " + id);
            }
            affinity.forget(id);
            return null;
        });
    }

    /**
     * The replica the session last ran on while it is Ready here — where its KV cache can be — or null. The engines
     * report no per-session cache, so a Ready replica is taken to still hold it (SES-3 reports the failover case).
     */
    private Replica readyReplica(String qualifiedReplica) {
        if (qualifiedReplica == null) {
            return null;
        }
        int slash = qualifiedReplica.indexOf('/');
        if (slash < 0) {
            return null;
        }
        Pool pool = scheduler.pools().pool(qualifiedReplica.substring(0, slash)).orElse(null);
        if (pool == null) {
            return null;
        }
        for (Replica r : pool.replicas()) {
            if (r.qualifiedId().equals(qualifiedReplica)) {
                return r.state() == ReplicaState.READY ? r : null;
            }
        }
        return null;
    }

    /**
     * KV bytes the session holds (SES-1): the tokens its last turn left in the replica's cache (its prompt as the engine
     * counted it, and what it generated) times the bytes one token takes there, which the pool declares
     * ({@code kv_bytes_per_token}); 0 when the replica is not Ready (the cache is gone with it), no turn ran yet, or the
     * pool declares no figure.
     */
    private long kvBytes(Replica ready, Long contextTokens) {
        if (ready == null || contextTokens == null) {
            return 0;
        }
        Long perToken = scheduler.pools().pool(ready.poolId()).map(p -> p.config().kvBytesPerToken()).orElse(null);
        return perToken == null ? 0 : Math.multiplyExact(contextTokens, perToken);
    }

    private static Long nonNegative(Long v) {
        return v == null ? null : Math.max(0L, v);
    }

    private static SluiceException unavailable(String what, Throwable e) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof SluiceException se) {
            return se;
        }
        LOG.warnf("could not %s: %s", what, cause.toString());
        return new SluiceException(SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE, "the session store is unreachable; could not " + what)
                .withRetryAfter(1_000L));
    }
}
