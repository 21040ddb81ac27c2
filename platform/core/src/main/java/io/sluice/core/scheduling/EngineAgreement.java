package io.sluice.core.scheduling;

import io.sluice.core.engine.EngineProbe;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which engine build a pool's replicas must report to serve (POOL-1, ADR 0018): the engine version and model digest
 * reported by most replicas, a tie going to the one the lowest replica id reports. A pure function of the replicas'
 * latest reports, so every Sluice instance probing the same engines reaches the same answer, and one replica upgraded
 * ahead of the others is excluded instead of excluding the rest.
 */
final class EngineAgreement {
    private EngineAgreement() {}

    /** What two replicas must share to be in one replica set, as far as the engine reports it. */
    record Build(String engineVersion, String modelDigest) {
        static Build of(EngineProbe p) {
            return new Build(p.engineVersion(), p.modelDigest());
        }

        @Override
        public String toString() {
            return "engine_version " + engineVersion + (modelDigest == null ? "" : ", model digest " + modelDigest);
        }
    }

    /** The agreed build over {@code replicas}' latest reports, or null when none has reported. */
    static Build agreed(List<Replica> replicas) {
        Map<Build, Integer> votes = new HashMap<>();
        Map<Build, String> lowestId = new HashMap<>();
        for (Replica r : replicas) {
            EngineProbe p = r.reported();
            if (p == null) {
                continue;
            }
            Build b = Build.of(p);
            votes.merge(b, 1, Integer::sum);
            lowestId.merge(b, r.id(), (a, c) -> a.compareTo(c) <= 0 ? a : c);
        }
        return votes.keySet().stream()
                .min(Comparator.comparingInt((Build b) -> -votes.get(b)).thenComparing(lowestId::get))
                .orElse(null);
    }

    static boolean matches(Build agreed, EngineProbe p) {
        return agreed == null || Objects.equals(agreed, Build.of(p));
    }
}
