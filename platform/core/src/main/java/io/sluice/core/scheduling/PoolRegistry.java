package io.sluice.core.scheduling;

import io.sluice.core.config.SluiceConfig;
import io.sluice.core.config.SluiceConfig.PoolConfig;
import io.sluice.core.config.SluiceConfig.ReplicaConfig;
import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.task.TaskSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.ToDoubleFunction;

/**
 * The configured pools and their replicas (POOL-1): which pools serve a task's model, which replicas a route
 * policy may choose from, and read-only status views. Built once from the configuration; thread-safe.
 */
public final class PoolRegistry {
    private final Map<String, Pool> pools = new LinkedHashMap<>();

    /**
     * @param adapters creates the adapter of one replica
     * @param tenantWeights weight of a tenant (SCH-1); read at every enqueue, so changes apply at once
     */
    public PoolRegistry(
            SluiceConfig config,
            BiFunction<PoolConfig, ReplicaConfig, EngineAdapter> adapters,
            ToDoubleFunction<String> tenantWeights) {
        ToDoubleFunction<FairQueue.FlowKey> weights =
                k -> tenantWeights.applyAsDouble(k.tenant()) * config.scheduling().weightOf(k.priority());
        for (PoolConfig pc : config.pools()) {
            List<Replica> replicas = new ArrayList<>();
            for (ReplicaConfig rc : pc.replicas()) {
                replicas.add(new Replica(rc.id(), pc.id(), adapters.apply(pc, rc), rc.labels()));
            }
            pools.put(pc.id(), new Pool(pc, replicas, weights));
        }
    }

    public List<Pool> pools() {
        return List.copyOf(pools.values());
    }

    public Optional<Pool> pool(String id) {
        return Optional.ofNullable(pools.get(id));
    }

    /** Pools serving {@code spec.modelRef()} (and its engine, if named). Empty when the model is unknown. */
    public List<Pool> poolsServing(TaskSpec spec) {
        List<Pool> out = new ArrayList<>(2);
        for (Pool p : pools.values()) {
            if (p.model().equals(spec.modelRef()) && (spec.engine() == null || spec.engine() == p.engine())) {
                out.add(p);
            }
        }
        return out;
    }

    /** Ready replicas of {@code pools}, ordered by pool then replica id, for a route policy to choose from. */
    public List<ReplicaCandidate> routeCandidates(List<Pool> candidates) {
        List<ReplicaCandidate> out = new ArrayList<>();
        for (Pool p : candidates) {
            if (p.draining()) {
                continue;
            }
            for (Replica r : p.replicas()) {
                if (r.state() == ReplicaState.READY) {
                    out.add(new ReplicaCandidate(r.qualifiedId(), p.id(), p.engine().wire(), r.freeSlotsSnapshot(), r.labels()));
                }
            }
        }
        return out;
    }

    /** Read-only view of a pool's replicas. */
    public List<ReplicaStatus> replicaStatus(Pool pool) {
        List<ReplicaStatus> out = new ArrayList<>();
        synchronized (pool) {
            for (Replica r : pool.replicas()) {
                EngineProbe p = r.probe();
                out.add(new ReplicaStatus(r.qualifiedId(), r.adapter().endpoint(), r.state(), r.slots(), r.inFlight(),
                        p == null ? null : p.engineVersion(), p == null ? null : p.modelDigest(), r.lastError()));
            }
        }
        return out;
    }

    void closeAdapters() {
        for (Pool p : pools.values()) {
            for (Replica r : p.replicas()) {
                r.adapter().close();
            }
        }
    }
}
