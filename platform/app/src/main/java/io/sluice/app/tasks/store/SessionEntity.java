package io.sluice.app.tasks.store;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/** A session (SES-1): created by the first task naming it, bounded by TTL and turns (SES-2). */
@Entity
@Table(name = "sessions")
public class SessionEntity extends PanacheEntityBase {
    @Id
    public UUID id;

    @Column(name = "tenant_id")
    public String tenantId;

    @Column(name = "created_at")
    public OffsetDateTime createdAt;

    @Column(name = "expires_at")
    public OffsetDateTime expiresAt;

    public int turns;

    @Column(name = "max_turns")
    public int maxTurns;

    @Column(name = "last_replica_id")
    public String lastReplicaId;

    @Column(name = "kv_bytes")
    public long kvBytes;

    @Column(name = "deleted_at")
    public OffsetDateTime deletedAt;
}
