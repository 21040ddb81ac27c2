package io.sluice.core.scheduling;

import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineException;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.engine.Generation;
import io.sluice.core.engine.GenerationListener;
import io.sluice.core.engine.GenerationRequest;
import io.sluice.core.error.ErrorCode;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Keeps replica readiness current (POOL-1, POOL-2): health and model report, engine-version agreement within
 * the replica set, then a one-token decode before a replica counts as Ready. Failures back off exponentially;
 * Ready replicas are re-checked periodically. Runs on the scheduler's timer threads.
 */
final class ReplicaProber {
    private static final Logger LOG = Logger.getLogger(ReplicaProber.class);
    private static final long HEALTH_INTERVAL_MS = 5_000;
    private static final long MIN_BACKOFF_MS = 250;
    private static final long MAX_BACKOFF_MS = 30_000;
    /** A minimal decode must answer within this while a replica is being made Ready. */
    private static final long WARMUP_DECODE_TIMEOUT_MS = 30_000;

    private final ScheduledExecutorService timers;
    private final Consumer<Pool> becameReady;
    private volatile boolean closed;

    ReplicaProber(ScheduledExecutorService timers, Consumer<Pool> becameReady) {
        this.timers = timers;
        this.becameReady = becameReady;
    }

    void start(PoolRegistry pools) {
        for (Pool p : pools.pools()) {
            for (Replica r : p.replicas()) {
                timers.execute(() -> probe(p, r));
            }
        }
    }

    /** Probes a replica now, for example after a request to it failed. */
    void reprobe(Pool pool, Replica replica) {
        if (!closed) {
            timers.execute(() -> probe(pool, replica));
        }
    }

    void close() {
        closed = true;
    }

    private void probe(Pool pool, Replica replica) {
        if (closed) {
            return;
        }
        EngineAdapter adapter = replica.adapter();
        adapter.probe().thenCompose(p -> {
            // Every answer counts towards the pool's agreed build, Ready replicas' too: an engine restarted in
            // place with another build between two health checks must not keep serving the set.
            Pool.Agreement agreement = pool.report(replica, p);
            for (Replica other : agreement.excluded()) {
                LOG.errorf("replica %s excluded from pool %s: %s", other.qualifiedId(), pool.id(), other.lastError());
            }
            for (Replica other : agreement.agreeingAgain()) {
                reprobe(pool, other);
            }
            if (!EngineAgreement.matches(agreement.agreed(), p)) {
                throw new ReplicaMismatch(p, Pool.mismatch(p, agreement.agreed()));
            }
            if (replica.state() == ReplicaState.READY) {
                return CompletableFuture.completedFuture(p);
            }
            return warmupDecode(pool, adapter).thenApply(x -> p);
        }).orTimeout(WARMUP_DECODE_TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS).whenComplete((p, err) -> {
            long next = err == null ? healthy(pool, replica, p) : failed(pool, replica, err);
            if (!closed) {
                timers.schedule(() -> probe(pool, replica), next, TimeUnit.MILLISECONDS);
            }
        });
    }

    private long healthy(Pool pool, Replica replica, EngineProbe p) {
        boolean wasReady = replica.state() == ReplicaState.READY;
        if (!pool.markReadyIfAgreed(replica, p)) {
            // Another replica's answer moved the agreement while this one warmed up: the next probe excludes it.
            return MIN_BACKOFF_MS;
        }
        if (!wasReady) {
            LOG.infof("replica %s of pool %s is Ready: engine %s version %s, %d slots, ctx %d", replica.qualifiedId(), pool.id(),
                    pool.engine().wire(), p.engineVersion(), p.slots(), p.ctxMax());
            becameReady.accept(pool);
        }
        return HEALTH_INTERVAL_MS;
    }

    private long failed(Pool pool, Replica replica, Throwable err) {
        Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        if (cause instanceof ReplicaMismatch mm) {
            if (replica.state() != ReplicaState.EXCLUDED) {
                LOG.errorf("replica %s excluded from pool %s: %s", replica.qualifiedId(), pool.id(), mm.getMessage());
            }
            replica.markExcluded(mm.probe, mm.getMessage());
            return HEALTH_INTERVAL_MS * 6;
        }
        boolean loading = cause instanceof EngineException ee && ee.code() == ErrorCode.POOL_UNREADY;
        ReplicaState was = replica.state();
        replica.markFailed(loading ? ReplicaState.LOADING : ReplicaState.DOWN, String.valueOf(cause.getMessage()));
        if (was == ReplicaState.READY || replica.consecutiveFailures() == 1) {
            LOG.warnf("replica %s of pool %s is %s: %s", replica.qualifiedId(), pool.id(), replica.state(), cause.getMessage());
        }
        return Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS << Math.min(7, replica.consecutiveFailures() - 1));
    }

    private CompletableFuture<Void> warmupDecode(Pool pool, EngineAdapter adapter) {
        var done = new CompletableFuture<Void>();
        GenerationRequest req = new GenerationRequest(UUID.randomUUID(), pool.model(), "ping", 1, 0, null);
        Generation g = adapter.generate(req, new GenerationListener() {
            @Override
            public void onToken(String text) {}

            @Override
            public void onEnd(long tokensOut, long decodeMs) {
                done.complete(null);
            }

            @Override
            public void onError(EngineException error) {
                done.completeExceptionally(error);
            }
        });
        return done.orTimeout(WARMUP_DECODE_TIMEOUT_MS, TimeUnit.MILLISECONDS).whenComplete((x, e) -> {
            if (e != null) {
                g.cancel();
            }
        });
    }

    private static final class ReplicaMismatch extends RuntimeException {
        final transient EngineProbe probe;

        ReplicaMismatch(EngineProbe probe, String message) {
            super(message, null, false, false);
            this.probe = probe;
        }
    }
}
