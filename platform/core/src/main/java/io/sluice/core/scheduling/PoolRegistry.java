package io.sluice.core.scheduling;

import io.sluice.core.config.SluiceConfig;
import io.sluice.core.config.SluiceConfig.PoolConfig;
import io.sluice.core.config.SluiceConfig.ReplicaConfig;
import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.task.Sampling;
import io.sluice.core.task.SamplingSupport;
import io.sluice.core.task.TaskSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
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

    /**
     * The pools of {@code serving} that can run this task as it asks (POOL-1, DET-1): a task naming a
     * {@code sampler_profile_version} goes only to pools declaring that version, and a task with sampling parameters
     * only to pools whose engine honours every one ({@link SamplingSupport}). A task naming neither gets
     * {@code serving} itself back: no allocation, no loop.
     *
     * @throws SluiceException {@code 400 INVALID_PARAMS} (stage resolve_model) naming {@code sampler_profile_version}
     *     when no pool of the model declares that version, or naming the sampling member no remaining pool's engine
     *     honours. Configuration decides both, so a retry cannot help (a pool that serves them but is down or loading
     *     answers 503 later, at placement, as ADM-8 says).
     */
    public List<Pool> eligible(TaskSpec spec, List<Pool> serving) {
        String profile = spec.samplerProfileVersion();
        Sampling sampling = spec.sampling();
        if (profile == null && sampling == null) {
            return serving;
        }
        List<Pool> out = serving;
        if (profile != null) {
            out = new ArrayList<>(serving.size());
            for (Pool p : serving) {
                if (profile.equals(p.config().samplerProfileVersion())) {
                    out.add(p);
                }
            }
            if (out.isEmpty()) {
                Set<String> offered = new TreeSet<>();
                for (Pool p : serving) {
                    offered.add(p.config().samplerProfileVersion() == null ? "(none)" : p.config().samplerProfileVersion());
                }
                throw new SluiceException(SluiceError.of(ErrorCode.INVALID_PARAMS, "no pool serving " + spec.modelRef()
                                + " declares sampler_profile_version '" + profile + "'; declared: " + String.join(", ", offered))
                        .withField("sampler_profile_version")
                        .withStage(AdmissionStage.RESOLVE_MODEL));
            }
        }
        if (sampling != null) {
            List<Pool> honouring = new ArrayList<>(out.size());
            SluiceException first = null;
            for (Pool p : out) {
                SluiceException refused = SamplingSupport.refusal(p.engine(), sampling);
                if (refused == null) {
                    honouring.add(p);
                } else if (first == null) {
                    first = refused;
                }
            }
            if (honouring.isEmpty()) {
                throw new SluiceException(first.error().withStage(AdmissionStage.RESOLVE_MODEL));
            }
            out = honouring;
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
