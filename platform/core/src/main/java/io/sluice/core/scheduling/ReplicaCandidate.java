package io.sluice.core.scheduling;

import java.util.Map;

/** A Ready replica as a tenant route policy sees it (POL-1 route, SCH-6). */
public record ReplicaCandidate(String replicaId, String poolId, String engine, int freeSlots, Map<String, String> labels) {}
