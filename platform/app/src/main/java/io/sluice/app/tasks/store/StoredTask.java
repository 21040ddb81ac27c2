package io.sluice.app.tasks.store;

import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A task as the database holds it (REL-2): what status, replay and idempotency answer once no instance holds it live. */
public record StoredTask(
        UUID id,
        String tenantId,
        UUID sessionId,
        String fingerprint,
        String state,
        String workload,
        String modelRef,
        String engine,
        String priority,
        String poolId,
        String replicaId,
        Integer queuePosition,
        Long predictedStartMs,
        long backoffMs,
        OffsetDateTime createdAt,
        OffsetDateTime startedAt,
        OffsetDateTime endedAt,
        int tokensOut,
        Long decodeMs,
        Long terminalEventId,
        String errorCode,
        String errorMessage,
        Boolean errorRetriable,
        String policyName,
        String policyVersion,
        String policyDigest,
        String policyDecision,
        String ownerInstance,
        Long eventIdBound) {

    static final String COLUMNS = "id, tenant_id, session_id, fingerprint, state, workload, model_ref, engine, priority, pool_id,"
            + " replica_id, queue_position, predicted_start_ms, backoff_ms, created_at, started_at, ended_at, tokens_out, decode_ms,"
            + " terminal_event_id, error_code, error_message, error_retriable, policy_name, policy_version, policy_digest,"
            + " policy_decision, owner_instance, event_id_bound";

    static StoredTask of(Row r) {
        return new StoredTask(r.getUUID(0), r.getString(1), r.getUUID(2), r.getString(3), r.getString(4), r.getString(5),
                r.getString(6), r.getString(7), r.getString(8), r.getString(9), r.getString(10), r.getInteger(11), r.getLong(12),
                r.getLong(13) == null ? 0 : r.getLong(13), r.getOffsetDateTime(14), r.getOffsetDateTime(15), r.getOffsetDateTime(16),
                r.getInteger(17) == null ? 0 : r.getInteger(17), r.getLong(18), r.getLong(19), r.getString(20), r.getString(21),
                r.getBoolean(22), r.getString(23), r.getString(24), r.getString(25), r.getString(26), r.getString(27), r.getLong(28));
    }

    /** Whether the task reached its terminal state. */
    public boolean ended() {
        return !"queued".equals(state) && !"running".equals(state);
    }
}
