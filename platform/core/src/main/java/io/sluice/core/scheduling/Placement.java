package io.sluice.core.scheduling;

import java.util.List;

/**
 * Where admission decided a task goes, and what it predicted (SCH-4, SCH-6).
 *
 * @param replicaPreference replicas of {@code pool} a route policy allowed, preferred first; empty = any
 */
public record Placement(Pool pool, long queuePosition, long predictedStartMs, List<String> replicaPreference) {
    public Placement {
        replicaPreference = replicaPreference == null ? List.of() : List.copyOf(replicaPreference);
    }
}
