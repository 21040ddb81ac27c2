package io.sluice.core.scheduling;

import java.util.List;

/**
 * Where admission decided a task goes, and what it predicted (SCH-4, SCH-6).
 *
 * @param replicaPreference replicas of {@code pool} a route policy allowed, preferred first; empty = any
 * @param affineReplica the replica of {@code pool} that served the task's session last and is Ready (SES-3): preferred
 *     at dispatch while it has a free slot; null = none
 */
public record Placement(Pool pool, long queuePosition, long predictedStartMs, List<String> replicaPreference, String affineReplica) {
    public Placement {
        replicaPreference = replicaPreference == null ? List.of() : List.copyOf(replicaPreference);
    }

    public Placement(Pool pool, long queuePosition, long predictedStartMs, List<String> replicaPreference) {
        this(pool, queuePosition, predictedStartMs, replicaPreference, null);
    }
}
