package io.sluice.app.pools;

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
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The control plane's view of the live pools (POOL-1, POOL-3): pool, health and replica-set answers read from the
 * scheduler's {@code PoolRegistry} and replica states at the moment of the request, drains through {@link PoolDrains},
 * and reloads. Queue depths and running counts are this instance's: several instances each hold their own queues.
 */
@ApplicationScoped
public class PoolControl {
    private static final Pattern HEX64 = Pattern.compile("^[0-9a-f]{64}$");
    private static final long RELOAD_WAIT_MS = 30_000;
    private static final long RELOAD_POLL_MS = 200;

    @Inject
    TaskScheduler scheduler;

    @Inject
    PoolDrains drains;

    @Inject
    Vertx vertx;

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
        return new PoolView(p.id(), ref == null ? null : replicaSetId(p, ref), p.engine().wire(), p.model(), digest(ref), p.ctxMax(),
                ref == null ? null : ref.engineVersion(), p.config().deviceMask(), state(p, drain), p.replicas().size(), ready, queue,
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
                    slotsTotal, free, r.state() == ReplicaState.EXCLUDED ? null : r.lastError(),
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
            items.add(new ReplicaSetView(e.getKey(), first.engine().wire(), digest(ref), first.ctxMax(), ref.engineVersion(),
                    pools.stream().map(Pool::id).toList(), new ReplicaCounts(total, ready, excluded),
                    new Load(queued, running, free, slots, utilization), slo));
        }
        return new ReplicaSetList(items);
    }

    /**
     * Reload (POOL-3). This build serves the configured model only (the catalog that resolves another model is not
     * here yet): a reload to the pool's own model probes every replica again and ends a drain; it succeeds once a
     * replica is Ready again and rolls back (the pool keeps its state) when none is within 30 s.
     */
    public CompletionStage<PoolActionAccepted> reload(Pool p, String newModelRef) {
        if (!p.model().equals(newModelRef)) {
            throw new SluiceException(SluiceError.of(ErrorCode.NOT_IMPLEMENTED, "reloading pool " + p.id() + " with another model ("
                    + newModelRef + ") needs the model catalog, which this build does not have; only a reload of its model "
                    + p.model() + " (re-probe) is implemented"));
        }
        PoolReloadStatus running = reloads.get(p.id());
        if (running != null && running.endedAt() == null) {
            throw SluiceException.of(ErrorCode.CONFLICT, "a reload of pool " + p.id() + " is already running");
        }
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        reloads.put(p.id(), new PoolReloadStatus("loading", newModelRef, now, null, null));
        return drains.end(p).thenApply(v -> {
            scheduler.reprobe(p);
            long deadline = System.nanoTime() + RELOAD_WAIT_MS * 1_000_000L;
            vertx.setPeriodic(RELOAD_POLL_MS, id -> {
                boolean ready = p.replicas().stream().anyMatch(r -> r.state() == ReplicaState.READY);
                if (ready || System.nanoTime() > deadline) {
                    vertx.cancelTimer(id);
                    OffsetDateTime ended = OffsetDateTime.now(ZoneOffset.UTC);
                    reloads.put(p.id(), ready
                            ? new PoolReloadStatus("succeeded", newModelRef, now, ended, null)
                            : new PoolReloadStatus("rolled_back", newModelRef, now, ended, ErrorBody.of(SluiceError.of(
                                    ErrorCode.POOL_UNAVAILABLE, "no replica of pool " + p.id() + " became Ready within "
                                            + RELOAD_WAIT_MS / 1000 + " s"), null)));
                }
            });
            return new PoolActionAccepted(p.id(), "reload", now, null, newModelRef);
        });
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

    private static String replicaSetId(Pool p, EngineProbe ref) {
        String raw = "rs-" + p.engine().wire() + "-" + p.model() + "-" + (p.ctxMax() == null ? "ctx?" : p.ctxMax()) + "-"
                + ref.engineVersion() + (digest(ref) == null ? "" : "-" + digest(ref).substring(7, 19));
        String id = raw.replaceAll("[^A-Za-z0-9._:-]", "_");
        return id.length() > 256 ? id.substring(0, 256) : id;
    }

    /** The contract's {@code sha256:<hex>}, or null when the engine reports no digest (llama.cpp reports a path). */
    private static String digest(EngineProbe probe) {
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
