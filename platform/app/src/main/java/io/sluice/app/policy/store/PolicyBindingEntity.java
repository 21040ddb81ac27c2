package io.sluice.app.policy.store;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/** The version of a policy pinned to a tenant's traffic, with its hooks, failure mode and canary (POL-3, POL-4). */
@Entity
@Table(name = "policy_bindings")
public class PolicyBindingEntity extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "tenant_id")
    public String tenantId;

    public String name;

    public String version;

    @Column(name = "hooks_json")
    public String hooksJson;

    @Column(name = "failure_mode")
    public String failureMode;

    @Column(name = "canary_version")
    public String canaryVersion;

    @Column(name = "canary_percent")
    public Integer canaryPercent;

    @Column(name = "previous_version")
    public String previousVersion;

    public int revision;

    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;

    @Column(name = "updated_by")
    public String updatedBy;
}
