package io.sluice.core.scheduling;

import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineProbe;

/**
 * One engine process serving a pool's model. Slot accounting ({@link #inFlight()}) is guarded by the owning
 * {@link Pool}'s lock; readiness fields are written by the prober and read anywhere, hence volatile.
 */
public final class Replica {
    private final String id;
    private final String poolId;
    private final EngineAdapter adapter;
    private final java.util.Map<String, String> labels;
    private volatile ReplicaState state = ReplicaState.STARTING;
    private volatile EngineProbe probe;
    /** The latest report of the engine, whether or not it made the replica Ready (POOL-1); set under the pool lock. */
    private volatile EngineProbe reported;
    private volatile String lastError;
    private volatile java.time.Instant lastErrorAt;
    private volatile int consecutiveFailures;
    private int inFlight;

    public Replica(String id, String poolId, EngineAdapter adapter, java.util.Map<String, String> labels) {
        this.id = id;
        this.poolId = poolId;
        this.adapter = adapter;
        this.labels = java.util.Map.copyOf(labels);
    }

    /** Operator-given labels, visible to tenant route policies. */
    public java.util.Map<String, String> labels() {
        return labels;
    }

    /** Free slots right now (a racy read outside the pool lock, good enough for routing snapshots). */
    public int freeSlotsSnapshot() {
        return freeSlots();
    }

    /** Globally unique id: {@code <pool>/<replica>}. */
    public String qualifiedId() {
        return poolId + "/" + id;
    }

    public String id() {
        return id;
    }

    public String poolId() {
        return poolId;
    }

    public EngineAdapter adapter() {
        return adapter;
    }

    public ReplicaState state() {
        return state;
    }

    public EngineProbe probe() {
        return probe;
    }

    /** The engine's latest probe answer, or null before the first; what {@link EngineAgreement} counts. */
    EngineProbe reported() {
        return reported;
    }

    public String lastError() {
        return lastError;
    }

    /** When {@link #lastError()} happened, or null. */
    public java.time.Instant lastErrorAt() {
        return lastErrorAt;
    }

    public int consecutiveFailures() {
        return consecutiveFailures;
    }

    /** Decode slots the engine reported; 0 until probed. */
    public int slots() {
        EngineProbe p = probe;
        return p == null ? 0 : Math.max(1, p.slots());
    }

    int inFlight() {
        return inFlight;
    }

    int freeSlots() {
        return state == ReplicaState.READY ? Math.max(0, slots() - inFlight) : 0;
    }

    void acquire() {
        inFlight++;
    }

    void release() {
        if (inFlight > 0) {
            inFlight--;
        }
    }

    void report(EngineProbe p) {
        this.reported = p;
    }

    void markReady(EngineProbe p) {
        this.probe = p;
        this.state = ReplicaState.READY;
        this.lastError = null;
        this.consecutiveFailures = 0;
    }

    void markFailed(ReplicaState newState, String error) {
        this.state = newState;
        this.lastError = error;
        this.lastErrorAt = java.time.Instant.now();
        this.consecutiveFailures++;
    }

    void markExcluded(EngineProbe p, String reason) {
        this.probe = p;
        this.state = ReplicaState.EXCLUDED;
        this.lastError = reason;
        this.lastErrorAt = java.time.Instant.now();
    }
}
