package io.sluice.app.pools;

import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.sluice.app.catalog.CatalogRuntime;
import io.sluice.app.catalog.CatalogService;
import io.sluice.app.http.ErrorBody;
import io.sluice.app.pools.PoolDtos.*;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.scheduling.Pool;
import io.sluice.core.scheduling.Replica;
import io.sluice.core.scheduling.ReplicaState;
import io.sluice.core.scheduling.TaskScheduler;
import io.sluice.core.task.Priority;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * The control plane's view of the live pools (POOL-1, POOL-3): pool, health and replica-set answers read from the
 * scheduler's {@code PoolRegistry} and replica states at the moment of the request, drains through {@link PoolDrains},
 * and reloads. Queue depths and running counts are this instance's: several instances each hold their own queues.
 */
@ApplicationScoped
public class PoolControl {
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(PoolControl.class);
    private static final Pattern HEX64 = Pattern.compile("^[0-9a-f]{64}$");
    private static final long RELOAD_WAIT_MS = 30_000;
    private static final long RELOAD_POLL_MS = 200;

    @Inject
    TaskScheduler scheduler;

    @Inject
    PoolDrains drains;

    @Inject
    Vertx vertx;

    @Inject
    CatalogService catalog;

    @Inject
    io.sluice.app.catalog.CatalogTrust trust;

    @Inject
    PoolModels models;

    private final Map<String, PoolReloadStatus> reloads = new ConcurrentHashMap<>();

    public Pool pool(String id) {
        return scheduler.pools().pool(id).orElseThrow(() -> SluiceException.notFound("pool " + id));
    }

    public PoolList list() {
        List<PoolView> items = new ArrayList<>();
        scheduler.pools().pools().stream().sorted(Comparator.comparing(Pool::id)).forEach(p -> items.add(view(p)));
        return new PoolList(items);
    }

    public PoolView view(Pool p) {
        EngineProbe ref = reference(p);
        int ready = (int) p.replicas().stream().filter(r -> r.state() == ReplicaState.READY).count();
        PoolDrainStatus drain = drains.drain(p.id())
                .map(d -> new PoolDrainStatus(utc(d.startedAt()), utc(d.deadlineAt()), inFlight(p)))
                .orElse(null);
        var q = p.config().queue();
        PoolQueue queue = new PoolQueue(q.fullPolicy().label(),
                new PriorityCounts(q.capacityOf(Priority.INTERACTIVE), q.capacityOf(Priority.BATCH)),
                new PriorityCounts(p.queueDepth(Priority.INTERACTIVE), p.queueDepth(Priority.BATCH)));
        return new PoolView(p.id(), ref == null ? null : replicaSetId(p, ref), p.engine().wire(), p.model(), digest(ref),
                p.config().quant(), p.ctxMax(), ref == null ? null : ref.engineVersion(), p.config().samplerProfileVersion(),
                p.config().deviceMask(), state(p, drain), p.replicas().size(), ready, queue,
                new Watchdog(p.config().watchdog().wallMs(), p.config().watchdog().idleMs()), drain, reloads.get(p.id()));
    }

    public PoolHealth health(Pool p) {
        List<ReplicaView> replicas = new ArrayList<>();
        PoolLastError lastError = null;
        Instant lastAt = null;
        int total = 0;
        for (Replica r : p.replicas()) {
            EngineProbe probe = r.probe();
            int slotsTotal = r.state() == ReplicaState.READY ? r.slots() : 0;
            int free = r.freeSlotsSnapshot();
            total += slotsTotal;
            replicas.add(new ReplicaView(r.qualifiedId(), replicaState(p, r), probe == null ? null : probe.engineVersion(), digest(probe),
                    slotsTotal, free, probe == null ? null : probe.gpus(), r.state() == ReplicaState.EXCLUDED ? null : r.lastError(),
                    r.state() == ReplicaState.EXCLUDED ? exclusionReason(r) : null));
            if (r.lastError() != null && r.lastErrorAt() != null && r.state() != ReplicaState.READY
                    && (lastAt == null || r.lastErrorAt().isAfter(lastAt))) {
                lastAt = r.lastErrorAt();
                lastError = new PoolLastError(truncate(r.lastError()), OffsetDateTime.ofInstant(lastAt, ZoneOffset.UTC), r.qualifiedId());
            }
        }
        boolean live = p.replicas().stream().anyMatch(r -> r.state() == ReplicaState.READY || r.state() == ReplicaState.LOADING
                || r.state() == ReplicaState.EXCLUDED);
        boolean ready = p.replicas().stream().anyMatch(r -> r.state() == ReplicaState.READY);
        PoolMetrics metrics = new PoolMetrics(p.queueDepth(), p.runningCount(), p.freeSlots(), total, serviceRate(p));
        return new PoolHealth(p.id(), live, ready, p.draining(), lastError, metrics, replicas);
    }

    /** Replica sets (POOL-1): pools with equal engine, model, ctx and engine version, from their Ready replicas. */
    public ReplicaSetList replicaSets() {
        Map<String, List<Pool>> sets = new TreeMap<>();
        Map<String, EngineProbe> refs = new LinkedHashMap<>();
        for (Pool p : scheduler.pools().pools()) {
            EngineProbe ref = reference(p);
            if (ref == null || p.ctxMax() == null) {
                continue; // no replica has reported yet: the set's identity is unknown
            }
            String id = replicaSetId(p, ref);
            sets.computeIfAbsent(id, k -> new ArrayList<>()).add(p);
            refs.putIfAbsent(id, ref);
        }
        List<ReplicaSetView> items = new ArrayList<>();
        for (Map.Entry<String, List<Pool>> e : sets.entrySet()) {
            List<Pool> pools = e.getValue();
            pools.sort(Comparator.comparing(Pool::id));
            EngineProbe ref = refs.get(e.getKey());
            int total = 0;
            int ready = 0;
            int queued = 0;
            int running = 0;
            int free = 0;
            int slots = 0;
            List<Excluded> excluded = new ArrayList<>();
            for (Pool p : pools) {
                queued += p.queueDepth();
                running += p.runningCount();
                free += p.freeSlots();
                slots += p.readySlots();
                for (Replica r : p.replicas()) {
                    total++;
                    if (r.state() == ReplicaState.READY) {
                        ready++;
                    } else if (r.state() == ReplicaState.EXCLUDED) {
                        excluded.add(new Excluded(r.qualifiedId(), exclusionReason(r)));
                    }
                }
            }
            double utilization = slots == 0 ? 0.0 : Math.min(1.0, Math.round((slots - free) * 1000.0 / slots) / 1000.0);
            Map<String, Object> slo = new LinkedHashMap<>();
            Pool first = pools.get(0);
            Double rate = serviceRate(first);
            if (rate != null) {
                slo.put("service_rate_tokens_per_s", rate);
            }
            long wait = first.estimator().predictStartMs(queued, slots, free);
            slo.put("predicted_wait_ms", Math.max(0, wait));
            items.add(new ReplicaSetView(e.getKey(), first.engine().wire(), digest(ref), first.config().quant(), first.ctxMax(),
                    ref.engineVersion(), first.config().samplerProfileVersion(), pools.stream().map(Pool::id).toList(), new ReplicaCounts(total, ready, excluded),
                    new Load(queued, running, free, slots, utilization), slo));
        }
        return new ReplicaSetList(items);
    }

    /**
     * Reload (POOL-3, CAT-3). A {@code new_model_ref} that names a catalog entry ({@code name:tag} or id) is verified
     * again first (signatures and SBOM against today's trust roots, recorded on the entry); then every replica is
     * probed again, and the load succeeds only when a Ready replica reports the entry's artifact digest. A digest
     * mismatch, or no Ready replica within 30 s, rolls back: the pool goes on serving what its engines serve, and the
     * reload's status carries the cause. An entry of another model switches the pool to that model atomically
     * ({@link #switchModel}: new replicas Ready and reporting the entry's digest before the old ones leave). A ref
     * outside the catalog is accepted only as the pool's own model (a re-probe, as before the catalog). A switch is
     * stored once in force here, and every instance applies it, now and after restarts ({@link PoolModels}, ADR 0034).
     *
     * @param by the admin's token subject, stored with a switch
     */
    public CompletionStage<PoolActionAccepted> reload(Pool p, String newModelRef, String by) {
        PoolReloadStatus running = reloads.get(p.id());
        if (running != null && running.endedAt() == null) {
            throw SluiceException.of(ErrorCode.CONFLICT, "a reload of pool " + p.id() + " is already running");
        }
        return catalog.verifyForLoad(newModelRef).subscribeAsCompletionStage().thenCompose(target -> {
            if (target == null && !p.model().equals(newModelRef)) {
                throw new SluiceException(SluiceError.of(ErrorCode.NOT_FOUND, "new_model_ref " + newModelRef
                        + " names no catalog entry and is not the model of pool " + p.id() + " (" + p.model() + ")").withField("new_model_ref"));
            }
            if (target != null && !p.model().equals(target.name()) && !p.model().equals(target.ref())) {
                return switchModel(p, newModelRef, target, by);
            }
            return start(p, newModelRef, target);
        });
    }

    /** Records a reload as running; 409 when one is running already. */
    private void begin(Pool p, String newModelRef, UUID modelId, OffsetDateTime now) {
        synchronized (reloads) {
            PoolReloadStatus running = reloads.get(p.id());
            if (running != null && running.endedAt() == null) {
                throw SluiceException.of(ErrorCode.CONFLICT, "a reload of pool " + p.id() + " is already running");
            }
            reloads.put(p.id(), new PoolReloadStatus("loading", newModelRef, modelId, now, null, null));
        }
    }

    /**
     * A reload to a catalog entry of another model (POOL-3, ADR 0031, ADR 0034): new replicas for the entry's
     * {@code name} are made Ready on the pool's engines, each reporting the entry's digest, while the current model goes
     * on serving ({@link TaskScheduler#switchModel}). Only then does the pool switch, and the switch is stored for every
     * instance; otherwise it ends {@code rolled_back} and nothing changed, here or in the database.
     */
    private CompletionStage<PoolActionAccepted> switchModel(Pool p, String newModelRef, CatalogService.LoadTarget target, String by) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        begin(p, newModelRef, target.id(), now);
        return drains.end(p).thenApply(v -> {
            stageSwitch(p, newModelRef, target, now, by, true);
            return new PoolActionAccepted(p.id(), "reload", now, null, newModelRef);
        });
    }

    /**
     * Applies a switch stored by a reload elsewhere, or before this instance restarted with the pool already probed
     * ({@link PoolModels}): the entry is verified again (CAT-3) and the same staged switch runs, recorded as the pool's
     * reload here. When a reload of the pool runs here already, nothing happens; the next refresh looks again.
     */
    void applyStored(Pool p, PoolModels.Stored stored) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        try {
            begin(p, stored.modelRef(), stored.modelId(), now);
        } catch (SluiceException running) {
            return;
        }
        LOG.infof("pool %s switches to model %s (catalog entry %s), as a reload stored", p.id(), stored.modelName(), stored.modelRef());
        // Called from a change notification or a timer, outside any request: the verification reads and writes the entry
        // through Panache, which needs a context of its own, so it runs on a worker thread as the load check's does.
        Infrastructure.getDefaultWorkerPool().execute(() -> {
            CatalogService.LoadTarget target = null;
            Throwable err = null;
            try {
                target = VertxContextSupport.subscribeAndAwait(() -> catalog.verifyForLoad(stored.modelId().toString()));
            } catch (Throwable t) {
                err = t;
            }
            if (err == null && target != null) {
                stageSwitch(p, stored.modelRef(), target, now, null, false);
                return;
            }
            Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
            SluiceError error = cause instanceof SluiceException se ? se.error()
                    : SluiceError.of(ErrorCode.POOL_UNAVAILABLE, "catalog entry " + stored.modelRef() + " of the stored switch "
                            + (cause == null ? "no longer exists" : "could not be verified (" + cause.getMessage() + ")"));
            LOG.warnf("pool %s keeps serving model %s: the stored switch to %s cannot apply: %s", p.id(), p.model(), stored.modelRef(),
                    error.message());
            reloads.put(p.id(), new PoolReloadStatus("rolled_back", stored.modelRef(), stored.modelId(), now,
                    OffsetDateTime.now(ZoneOffset.UTC), ErrorBody.of(error, null)));
        });
    }

    /**
     * Stages the switch of {@code p} to {@code target} and records how it ended in the pool's reload status. With
     * {@code store}, a switch in force here is stored before it counts as succeeded; when it cannot be stored the pool
     * switches back, so that this instance does not serve a model the others never will.
     */
    private void stageSwitch(Pool p, String newModelRef, CatalogService.LoadTarget target, OffsetDateTime now, String by, boolean store) {
        String from = p.model();
        String fromDigest = digest(reference(p));
        AtomicBoolean mismatch = new AtomicBoolean();
        scheduler.switchModel(p, target.name(), (pool, probe) -> {
            String reported = digest(probe);
            if (target.artifactDigest().equals(reported)) {
                return CompletableFuture.completedFuture(null);
            }
            if (mismatch.compareAndSet(false, true)) {
                trust.countDigestMismatch();
            }
            return CompletableFuture.completedFuture("digest mismatch: the engine reports " + (reported == null ? "no sha256 digest" : reported)
                    + ", catalog entry " + target.ref() + " is " + target.artifactDigest());
        }, RELOAD_WAIT_MS).whenComplete((replicas, err) -> {
            if (err != null) {
                Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
                ErrorCode code = mismatch.get() ? ErrorCode.UNTRUSTED_ARTIFACT : ErrorCode.POOL_UNAVAILABLE;
                reloads.put(p.id(), new PoolReloadStatus("rolled_back", newModelRef, target.id(), now, OffsetDateTime.now(ZoneOffset.UTC),
                        ErrorBody.of(SluiceError.of(code, "no replica of pool " + p.id() + " could load " + target.ref() + " ("
                                + cause.getMessage() + "); the load is refused and the pool keeps serving model " + from)
                                .withField("new_model_ref"), null)));
                return;
            }
            LOG.infof("pool %s switched from model %s to %s (catalog entry %s) with %d replica(s) Ready", p.id(), from,
                    target.name(), target.ref(), replicas.stream().filter(r -> r.state() == ReplicaState.READY).count());
            if (!store) {
                reloads.put(p.id(), new PoolReloadStatus("succeeded", newModelRef, target.id(), now, OffsetDateTime.now(ZoneOffset.UTC), null));
                return;
            }
            models.store(p, target, by).whenComplete((stored, storeErr) -> {
                if (storeErr == null) {
                    reloads.put(p.id(), new PoolReloadStatus("succeeded", newModelRef, target.id(), now, OffsetDateTime.now(ZoneOffset.UTC), null));
                    return;
                }
                LOG.warnf("pool %s: could not store the switch to %s (%s); switching back to model %s", p.id(), target.ref(),
                        storeErr.toString(), from);
                switchBack(p, from, fromDigest).whenComplete((back, backErr) -> reloads.put(p.id(), new PoolReloadStatus("rolled_back",
                        newModelRef, target.id(), now, OffsetDateTime.now(ZoneOffset.UTC), ErrorBody.of(SluiceError.of(
                                ErrorCode.DEPENDENCY_UNAVAILABLE, "the switch of pool " + p.id() + " to " + target.ref()
                                        + " could not be stored, so the other instances would not serve it; "
                                        + (backErr == null ? "the pool serves model " + from + " again"
                                                : "switching back to model " + from + " failed too (" + backErr.getMessage() + ")"))
                                .withRetryAfter(1_000L), null))));
            });
        });
    }

    /** Switches {@code p} back to the model it served, whose engines must report the digest they reported then. */
    private CompletableFuture<List<Replica>> switchBack(Pool p, String model, String modelDigest) {
        return scheduler.switchModel(p, model, (pool, probe) -> CompletableFuture.completedFuture(
                modelDigest == null || modelDigest.equals(digest(probe)) ? null
                        : "the engine reports " + digest(probe) + ", not " + modelDigest + " as before the switch"), RELOAD_WAIT_MS);
    }

    private CompletionStage<PoolActionAccepted> start(Pool p, String newModelRef, CatalogService.LoadTarget target) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        UUID modelId = target == null ? null : target.id();
        begin(p, newModelRef, modelId, now);
        return drains.end(p).thenApply(v -> {
            scheduler.reprobe(p);
            long deadline = System.nanoTime() + RELOAD_WAIT_MS * 1_000_000L;
            vertx.setPeriodic(RELOAD_POLL_MS, id -> {
                EngineProbe ref = reference(p);
                boolean ready = ref != null;
                if (!ready && System.nanoTime() <= deadline) {
                    return;
                }
                vertx.cancelTimer(id);
                OffsetDateTime ended = OffsetDateTime.now(ZoneOffset.UTC);
                if (!ready) {
                    reloads.put(p.id(), new PoolReloadStatus("rolled_back", newModelRef, modelId, now, ended, ErrorBody.of(SluiceError.of(
                            ErrorCode.POOL_UNAVAILABLE, "no replica of pool " + p.id() + " became Ready within " + RELOAD_WAIT_MS / 1000 + " s"),
                            null)));
                    return;
                }
                String reported = digest(ref);
                if (target != null && !target.artifactDigest().equals(reported)) {
                    trust.countDigestMismatch();
                    reloads.put(p.id(), new PoolReloadStatus("rolled_back", newModelRef, modelId, now, ended, ErrorBody.of(SluiceError.of(
                            ErrorCode.UNTRUSTED_ARTIFACT, "digest mismatch: the engines of pool " + p.id() + " report "
                                    + (reported == null ? "no sha256 digest" : reported) + ", catalog entry " + target.ref() + " is "
                                    + target.artifactDigest() + "; the load is refused and the pool keeps serving what it served")
                            .withField("new_model_ref"), null)));
                    return;
                }
                reloads.put(p.id(), new PoolReloadStatus("succeeded", newModelRef, modelId, now, ended, null));
            });
            return new PoolActionAccepted(p.id(), "reload", now, null, newModelRef);
        });
    }

    /** The catalog entry a pool serves: named by its model ({@code name} or {@code name:tag}) and carrying the digest its engines report. */
    public static boolean serves(Pool p, CatalogRuntime.Entry e) {
        if (!p.model().equals(e.ref()) && !p.model().equals(e.name())) {
            return false;
        }
        String reported = digest(reference(p));
        return reported != null && reported.equals(e.artifactDigest());
    }

    private String state(Pool p, PoolDrainStatus drain) {
        if (drain != null) {
            return drain.inFlight() > 0 ? "draining" : "drained";
        }
        if (p.replicas().stream().anyMatch(r -> r.state() == ReplicaState.READY)) {
            return "ready";
        }
        return p.warmingUp() ? "loading" : "unready";
    }

    private static String replicaState(Pool p, Replica r) {
        return switch (r.state()) {
            case STARTING, LOADING -> "loading";
            case READY -> p.draining() ? "draining" : "ready";
            case DOWN -> "unready";
            case EXCLUDED -> "excluded";
        };
    }

    static int inFlight(Pool p) {
        return p.runningCount() + p.queueDepth();
    }

    /** The engine version and digest the pool's replicas agree on: those of its first Ready replica by id. */
    private static EngineProbe reference(Pool p) {
        return p.replicas().stream()
                .filter(r -> r.state() == ReplicaState.READY && r.probe() != null)
                .min(Comparator.comparing(Replica::id))
                .map(Replica::probe)
                .orElse(null);
    }

    /**
     * The replica-set key of POOL-1: pools with equal engine, model (digest when reported), quant, ctx, engine version and
     * sampler profile version share it; quant and sampler profile come from the pool's configuration (no engine
     * reports them), and a pool declaring neither keeps the id it had before they existed.
     */
    private static String replicaSetId(Pool p, EngineProbe ref) {
        String quant = p.config().quant();
        String profile = p.config().samplerProfileVersion();
        String raw = "rs-" + p.engine().wire() + "-" + p.model() + "-" + (p.ctxMax() == null ? "ctx?" : p.ctxMax()) + "-"
                + ref.engineVersion() + (digest(ref) == null ? "" : "-" + digest(ref).substring(7, 19))
                + (quant == null ? "" : "-q." + quant) + (profile == null ? "" : "-sp." + profile);
        String id = raw.replaceAll("[^A-Za-z0-9._:-]", "_");
        return id.length() > 256 ? id.substring(0, 256) : id;
    }

    /** The contract's {@code sha256:<hex>}, or null when the engine reports no digest (llama.cpp reports a path). */
    static String digest(EngineProbe probe) {
        if (probe == null || probe.modelDigest() == null) {
            return null;
        }
        String d = probe.modelDigest().startsWith("sha256:") ? probe.modelDigest().substring(7) : probe.modelDigest();
        return HEX64.matcher(d).matches() ? "sha256:" + d : null;
    }

    private static Double serviceRate(Pool p) {
        double msPerToken = p.estimator().msPerToken();
        if (msPerToken <= 0) {
            return null;
        }
        // Measured per-stream decode rate times the Ready slots: what the pool delivers when every slot decodes.
        return Math.round(1000.0 / msPerToken * Math.max(1, p.readySlots()) * 10.0) / 10.0;
    }

    /** Why a replica is excluded from its replica set (POOL-1), as logged; the contract bounds it at 1,024 characters. */
    private static String exclusionReason(Replica r) {
        String reason = String.valueOf(r.lastError());
        return reason.length() <= 1024 ? reason : reason.substring(0, 1024);
    }

    private static String truncate(String s) {
        return s == null || s.length() <= 4096 ? s : s.substring(0, 4096);
    }

    private static OffsetDateTime utc(OffsetDateTime t) {
        return t.withOffsetSameInstant(ZoneOffset.UTC);
    }
}
