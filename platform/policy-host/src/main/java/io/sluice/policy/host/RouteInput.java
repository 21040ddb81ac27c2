package io.sluice.policy.host;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Typed {@code route} input: the admit input plus the candidate replicas. */
public record RouteInput(AdmitInput admit, List<Candidate> candidates) {

    public RouteInput {
        Objects.requireNonNull(admit, "admit");
        candidates = List.copyOf(candidates);
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("route needs at least one candidate");
        }
    }

    /** A replica that could serve the request. */
    public record Candidate(String replicaId, String poolId, String engine, int freeSlots, Map<String, String> labels) {
        public Candidate {
            Objects.requireNonNull(replicaId, "replicaId");
            Objects.requireNonNull(poolId, "poolId");
            Objects.requireNonNull(engine, "engine");
            labels = labels == null ? Map.of() : Map.copyOf(labels);
        }
    }
}
