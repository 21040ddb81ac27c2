package io.sluice.app.tenancy.store;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/** A tenant: seen in a token, or registered by an admin (then with weight, tier and labels). */
@Entity
@Table(name = "tenants")
public class TenantEntity extends PanacheEntityBase {
    @Id
    public String id;

    @Column(name = "display_name")
    public String displayName;

    public double weight = 1.0;

    public String tier;

    @Column(name = "labels_json")
    public String labelsJson = "{}";

    @Column(name = "may_override")
    public boolean mayOverride;

    public boolean registered;

    @Column(name = "created_at")
    public OffsetDateTime createdAt;

    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;
}
