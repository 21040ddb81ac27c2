package io.sluice.app.catalog.store;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;

/** A model alias and its split (LIFE-3); {@link #previousTargetsJson} is what a rollback restores. */
@Entity
@Table(name = "catalog_aliases")
public class AliasEntity extends PanacheEntityBase {
    @Id
    public String alias;

    @Column(name = "targets_json")
    public String targetsJson;

    @Column(name = "previous_targets_json")
    public String previousTargetsJson;

    public int revision;

    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;

    @Column(name = "updated_by")
    public String updatedBy;
}
