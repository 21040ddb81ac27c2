package io.sluice.app.tasks.store;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/** An accepted task as recorded in PostgreSQL (REL-2). */
@Entity
@Table(name = "tasks")
public class TaskEntity extends PanacheEntityBase {
    @Id
    public UUID id;

    @Column(name = "tenant_id")
    public String tenantId;

    @Column(name = "session_id")
    public UUID sessionId;

    public String fingerprint;

    @Column(name = "request_json")
    public String requestJson;

    public String workload;

    @Column(name = "model_ref")
    public String modelRef;

    public String engine;

    public String priority;

    public String state;

    @Column(name = "pool_id")
    public String poolId;

    @Column(name = "replica_id")
    public String replicaId;

    @Column(name = "queue_position")
    public Integer queuePosition;

    @Column(name = "predicted_start_ms")
    public Long predictedStartMs;

    @Column(name = "backoff_ms")
    public long backoffMs;

    @Column(name = "created_at")
    public OffsetDateTime createdAt;

    @Column(name = "started_at")
    public OffsetDateTime startedAt;

    @Column(name = "ended_at")
    public OffsetDateTime endedAt;

    @Column(name = "tokens_out")
    public int tokensOut;

    @Column(name = "decode_ms")
    public Long decodeMs;

    @Column(name = "terminal_event_id")
    public Long terminalEventId;

    @Column(name = "error_code")
    public String errorCode;

    @Column(name = "error_message")
    public String errorMessage;

    @Column(name = "error_retriable")
    public Boolean errorRetriable;

    @Column(name = "policy_name")
    public String policyName;

    @Column(name = "policy_version")
    public String policyVersion;

    @Column(name = "policy_digest")
    public String policyDigest;

    @Column(name = "policy_decision")
    public String policyDecision;
}
