package io.sluice.app.catalog.store;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.OffsetDateTime;
import java.util.UUID;

/** One recorded lifecycle transition (LIFE-1): who, when, why. Insert-only. */
@Entity
@Table(name = "catalog_transitions")
public class TransitionEntity extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;

    @Column(name = "model_id")
    public UUID modelId;

    @Column(name = "from_state")
    public String fromState;

    @Column(name = "to_state")
    public String toState;

    public OffsetDateTime at;

    public String actor;

    public String reason;

    @Column(name = "deadline_at")
    public OffsetDateTime deadlineAt;
}
