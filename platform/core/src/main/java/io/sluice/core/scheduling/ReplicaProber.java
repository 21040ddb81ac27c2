package io.sluice.core.scheduling;

import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineException;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.engine.Generation;
import io.sluice.core.engine.GenerationListener;
import io.sluice.core.engine.GenerationRequest;
import io.sluice.core.error.ErrorCode;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Keeps replica readiness current (POOL-1, POOL-2): health and model report, engine-version agreement within
 * the replica set, the load check of the artifact the engine reports ({@link LoadGate}, CAT-3), then a one-token
 * decode before a replica counts as Ready. Failures back off exponentially;
 * Ready replicas are re-checked periodically. Runs on the scheduler's timer threads.
 */
final class ReplicaProber {
    private static final Logger LOG = Logger.getLogger(ReplicaProber.class);
    private static final long HEALTH_INTERVAL_MS = 5_000;
    private static final long MIN_BACKOFF_MS = 250;
    private static final long MAX_BACKOFF_MS = 30_000;
    /** A minimal decode must answer within this while a replica is being made Ready. */
    private static final long WARMUP_DECODE_TIMEOUT_MS = 30_000;

    /** How long a replica whose load was refused waits before it is checked again (a catalog change checks it sooner). */
    private static final long REFUSED_RECHECK_MS = 30_000;

    private final ScheduledExecutorService timers;
    private final Consumer<Pool> becameReady;
    /**
     * The probe chain each replica runs on: {@link #reprobe} starts a new one and the older chain stops at its next
     * step, so that probing a replica "now" never leaves two chains probing it for ever.
     */
    private final Map<Replica, AtomicLong> chains = new ConcurrentHashMap<>();
    private volatile LoadGate gate = LoadGate.OPEN;
    private volatile boolean closed;

    ReplicaProber(ScheduledExecutorService timers, Consumer<Pool> becameReady) {
        this.timers = timers;
        this.becameReady = becameReady;
    }

    void start(PoolRegistry pools) {
        for (Pool p : pools.pools()) {
            for (Replica r : p.replicas()) {
                reprobe(p, r);
            }
        }
    }

    /** Sets what a load must pass before a replica becomes Ready (CAT-3); {@link LoadGate#OPEN} until then. */
    void gate(LoadGate gate) {
        this.gate = gate;
    }

    /** Probes a replica now, for example after a request to it failed. */
    void reprobe(Pool pool, Replica replica) {
        if (!closed) {
            long chain = chains.computeIfAbsent(replica, r -> new AtomicLong()).incrementAndGet();
            timers.execute(() -> probe(pool, replica, chain));
        }
    }

    /** Whether a probe chain goes on: the replica's newest, and the replica still one of its pool's (a reload may replace it). */
    private boolean current(Pool pool, Replica replica, long chain) {
        return !closed && chains.get(replica).get() == chain && pool.replicas().contains(replica);
    }

    /**
     * Makes a replica that is not yet one of {@code pool}'s Ready for {@code model} (a reload to another model, POOL-3):
     * the engine answers, {@code check} accepts what it reports, and a one-token decode of {@code model} succeeds.
     * Marks it Ready then; on failure marks it down with the cause and fails with the cause.
     */
    CompletableFuture<EngineProbe> stage(Pool pool, Replica replica, String model, LoadGate check) {
        return replica.adapter().probe()
                .thenApply(p -> {
                    String misplaced = outsideDeviceMask(pool, p);
                    if (misplaced != null) {
                        throw new LoadRefused(misplaced);
                    }
                    return p;
                })
                .thenCompose(p -> check.check(pool, p).toCompletableFuture().thenApply(reason -> {
                    if (reason != null) {
                        throw new LoadRefused(reason);
                    }
                    return p;
                }))
                .thenCompose(p -> warmupDecode(model, replica.adapter()).thenApply(x -> p))
                .orTimeout(WARMUP_DECODE_TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS)
                .whenComplete((p, err) -> {
                    if (err == null) {
                        replica.report(p);
                        replica.markReady(p);
                    } else {
                        Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                        replica.markFailed(ReplicaState.DOWN, String.valueOf(cause.getMessage()));
                    }
                });
    }

    void close() {
        closed = true;
    }

    private void probe(Pool pool, Replica replica, long chain) {
        if (!current(pool, replica, chain)) {
            return;
        }
        EngineAdapter adapter = replica.adapter();
        adapter.probe().thenCompose(p -> {
            // An engine that says it runs on GPUs outside the pool's mask would run the pool's tasks on another pool's
            // devices (SCH-6): it serves nothing, and its answer does not count towards the pool's agreed build.
            String misplaced = outsideDeviceMask(pool, p);
            if (misplaced != null) {
                throw new ReplicaMismatch(p, misplaced);
            }
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
                if (sameArtifact(replica.probe(), p)) {
                    return CompletableFuture.completedFuture(p);
                }
                // The engine was given another artifact in place: out of placement until that one passed the check.
                replica.markFailed(ReplicaState.LOADING, "the engine now reports model digest " + p.modelDigest() + " instead of "
                        + replica.probe().modelDigest() + "; it serves again once the load check passed");
            }
            return admitLoad(pool, replica, p).thenCompose(v -> warmupDecode(pool.model(), adapter)).thenApply(x -> p);
        }).orTimeout(WARMUP_DECODE_TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS).whenComplete((p, err) -> {
            long next = err == null ? healthy(pool, replica, p) : failed(pool, replica, err);
            if (current(pool, replica, chain)) {
                timers.schedule(() -> probe(pool, replica, chain), next, TimeUnit.MILLISECONDS);
            }
        });
    }

    /**
     * The load check (CAT-3) before a replica serves what its engine reports: skipped when another Ready replica of the
     * pool already serves that artifact (it passed the check when it became Ready), else asked of the {@link LoadGate}.
     */
    private CompletableFuture<Void> admitLoad(Pool pool, Replica replica, EngineProbe p) {
        if (pool.servedByAnother(replica, p)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletionStage<String> checked;
        try {
            checked = gate.check(pool, p);
        } catch (RuntimeException e) {
            checked = CompletableFuture.failedFuture(e);
        }
        return checked.toCompletableFuture().handle((reason, err) -> {
            if (err != null) {
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                throw new LoadRefused("the load check could not run: " + cause.getMessage());
            }
            if (reason != null) {
                throw new LoadRefused(reason);
            }
            return null;
        });
    }

    /** Why the GPUs an engine reports are not the pool's to use (SCH-6), or {@code null} when they are or it does not say. */
    static String outsideDeviceMask(Pool pool, EngineProbe p) {
        if (p.gpus() == null || pool.deviceMask().covers(p.gpus())) {
            return null;
        }
        return "the engine runs on GPUs " + join(p.gpus()) + ", of which " + join(pool.deviceMask().outside(p.gpus()))
                + " lie outside the pool's device_mask " + pool.deviceMask();
    }

    private static String join(java.util.List<Integer> gpus) {
        return gpus.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(","));
    }

    private static boolean sameArtifact(EngineProbe ready, EngineProbe now) {
        return ready != null && java.util.Objects.equals(ready.modelDigest(), now.modelDigest());
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
        if (cause instanceof LoadRefused refused) {
            boolean news = replica.state() == ReplicaState.READY || !refused.getMessage().equals(replica.lastError());
            replica.markFailed(ReplicaState.DOWN, refused.getMessage());
            if (news) {
                LOG.errorf("replica %s of pool %s may not load: %s", replica.qualifiedId(), pool.id(), refused.getMessage());
            }
            return REFUSED_RECHECK_MS;
        }
        boolean loading = cause instanceof EngineException ee && ee.code() == ErrorCode.POOL_UNREADY;
        ReplicaState was = replica.state();
        replica.markFailed(loading ? ReplicaState.LOADING : ReplicaState.DOWN, String.valueOf(cause.getMessage()));
        if (was == ReplicaState.READY || replica.consecutiveFailures() == 1) {
            LOG.warnf("replica %s of pool %s is %s: %s", replica.qualifiedId(), pool.id(), replica.state(), cause.getMessage());
        }
        return Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS << Math.min(7, replica.consecutiveFailures() - 1));
    }

    private CompletableFuture<Void> warmupDecode(String model, EngineAdapter adapter) {
        var done = new CompletableFuture<Void>();
        GenerationRequest req = new GenerationRequest(UUID.randomUUID(), model, "ping", 1, 0, null);
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

    /** The {@link LoadGate} refused what the engine reports; the message is the reason shown as the replica's last error. */
    private static final class LoadRefused extends RuntimeException {
        LoadRefused(String reason) {
            super(reason, null, false, false);
        }
    }

    private static final class ReplicaMismatch extends RuntimeException {
        final transient EngineProbe probe;

        ReplicaMismatch(EngineProbe probe, String message) {
            super(message, null, false, false);
            this.probe = probe;
        }
    }
}
