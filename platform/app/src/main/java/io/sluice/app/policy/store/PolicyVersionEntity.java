package io.sluice.app.policy.store;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/** An immutable policy version (POL-4); its bytes live in {@code policy_modules} under {@link #digest}. */
@Entity
@Table(name = "policy_versions")
public class PolicyVersionEntity extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "tenant_id")
    public String tenantId;

    public String name;

    public String version;

    public String digest;

    @Column(name = "abi_version")
    public String abiVersion;

    @Column(name = "hooks_json")
    public String hooksJson;

    @Column(name = "needs_json")
    public String needsJson;

    @Column(name = "size_bytes")
    public int sizeBytes;

    @Column(name = "fixtures_passed")
    public int fixturesPassed;

    @Column(name = "created_at")
    public OffsetDateTime createdAt;

    @Column(name = "created_by")
    public String createdBy;
}
