package io.sluice.core.scheduling;

/** Readiness of one replica (SPEC POOL-2). */
public enum ReplicaState {
    /** Not yet probed successfully; may still be loading its model. */
    STARTING,
    /** The engine answers but reports it is still loading. */
    LOADING,
    /** Health, model check and a minimal decode passed; receives traffic. */
    READY,
    /** The last probe failed (connection refused, 5xx, bad answer); retried with backoff. */
    DOWN,
    /** Serves a different engine version or model digest than its replica set (POOL-1); never used. */
    EXCLUDED;

    /** States in which the replica may still become Ready by itself soon. */
    public boolean warmingUp() {
        return this == STARTING || this == LOADING;
    }
}
