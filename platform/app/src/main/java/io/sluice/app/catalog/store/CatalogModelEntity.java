package io.sluice.app.catalog.store;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A catalog entry (CAT-1). Manifest, signatures and SBOM are the JSON text as ingested. Changes go through
 * {@link CatalogStore}'s conditional updates on {@link #rowVersion}, never through dirty checking, so that two
 * concurrent changes of one entry cannot both apply.
 */
@Entity
@Table(name = "catalog_models")
public class CatalogModelEntity extends PanacheEntityBase {
    @Id
    public UUID id;

    public String name;

    public String tag;

    @Column(name = "source_registry")
    public String sourceRegistry;

    @Column(name = "artifact_digest")
    public String artifactDigest;

    @Column(name = "manifest_json")
    public String manifestJson;

    @Column(name = "signatures_json")
    public String signaturesJson;

    @Column(name = "sbom_json")
    public String sbomJson;

    @Column(name = "verification_state")
    public String verificationState;

    @Column(name = "verification_policy")
    public String verificationPolicy;

    @Column(name = "verification_reason")
    public String verificationReason;

    @Column(name = "verification_key_ids")
    public String verificationKeyIds;

    @Column(name = "verification_id")
    public UUID verificationId;

    @Column(name = "verified_at")
    public OffsetDateTime verifiedAt;

    public String state;

    @Column(name = "drain_deadline_at")
    public OffsetDateTime drainDeadlineAt;

    public boolean archived;

    @Column(name = "row_version")
    public long rowVersion;

    @Column(name = "created_at")
    public OffsetDateTime createdAt;

    @Column(name = "created_by")
    public String createdBy;

    @Column(name = "updated_at")
    public OffsetDateTime updatedAt;
}
