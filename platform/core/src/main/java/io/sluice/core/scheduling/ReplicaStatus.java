package io.sluice.core.scheduling;

/** A read-only view of a replica for health and control-plane answers. */
public record ReplicaStatus(
        String id, String endpoint, ReplicaState state, int slots, int inFlight, String engineVersion, String modelDigest, String lastError) {}
