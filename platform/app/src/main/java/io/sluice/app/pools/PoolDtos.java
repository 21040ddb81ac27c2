package io.sluice.app.pools;

import io.sluice.app.http.ErrorBody;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/** The contract's pool, replica set and capabilities shapes (POOL-1, POOL-3); absent members are null (omitted). */
public final class PoolDtos {
    private PoolDtos() {}

    public record PriorityCounts(int interactive, int batch) {}

    public record PoolQueue(String fullPolicy, PriorityCounts capacity, PriorityCounts depth) {}

    public record Watchdog(long wallMs, long idleMs) {}

    public record PoolDrainStatus(OffsetDateTime startedAt, OffsetDateTime deadlineAt, int inFlight) {}

    public record PoolReloadStatus(String state, String newModelRef, java.util.UUID newModelId, OffsetDateTime startedAt, OffsetDateTime endedAt,
            ErrorBody error) {}

    public record PoolView(
            String poolId,
            String replicaSetId,
            String engine,
            String modelRef,
            String modelDigest,
            String quant,
            Integer ctx,
            String engineVersion,
            String samplerProfileVersion,
            String deviceMask,
            String state,
            int replicasTotal,
            int replicasReady,
            PoolQueue queue,
            Watchdog watchdog,
            PoolDrainStatus drain,
            PoolReloadStatus reload) {}

    public record PoolList(List<PoolView> items) {}

    public record PoolLastError(String message, OffsetDateTime at, String replicaId) {}

    public record PoolMetrics(int queueDepth, int running, int freeSlots, int totalSlots, Double serviceRateTokensPerS) {}

    public record ReplicaView(
            String replicaId,
            String state,
            String engineVersion,
            String modelDigest,
            int slotsTotal,
            int slotsFree,
            List<Integer> gpus,
            String lastError,
            String excludedReason) {}

    public record PoolHealth(
            String poolId, boolean live, boolean ready, boolean draining, PoolLastError lastError, PoolMetrics metrics,
            List<ReplicaView> replicas) {}

    public record DrainRequest(Long deadlineMs) {}

    public record ReloadRequest(String newModelRef) {}

    public record PoolActionAccepted(String poolId, String action, OffsetDateTime acceptedAt, OffsetDateTime deadlineAt, String newModelRef) {}

    public record Excluded(String replicaId, String reason) {}

    public record ReplicaCounts(int total, int ready, List<Excluded> excluded) {}

    public record Load(int queueDepth, int running, int freeSlots, int totalSlots, double utilization) {}

    public record ReplicaSetView(
            String replicaSetId,
            String engine,
            String modelDigest,
            String quant,
            int ctx,
            String engineVersion,
            String samplerProfileVersion,
            List<String> poolIds,
            ReplicaCounts replicas,
            Load load,
            Map<String, Object> slo) {}

    public record ReplicaSetList(List<ReplicaSetView> items) {}

    public record EngineCapabilities(
            String engine, int ctxMax, List<String> workloads, Map<String, Object> rateLimits, Map<String, Boolean> features,
            List<String> engineVersions) {}

    public record Capabilities(
            String apiVersion, List<String> roles, String tenantId, List<EngineCapabilities> engines, Map<String, Object> limits,
            Map<String, Object> defaults, String trustPolicy) {}
}
