package io.sluice.app.tasks.store;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.time.OffsetDateTime;
import java.util.UUID;

/** Sessions. Every method needs a reactive session; {@link #lockOrCreate} needs a transaction. */
@ApplicationScoped
public class SessionRepository implements PanacheRepositoryBase<SessionEntity, UUID> {

    /**
     * Creates the session if it does not exist yet (concurrent first tasks race safely on the primary key),
     * then locks its row for the rest of the transaction.
     */
    public Uni<SessionEntity> lockOrCreate(UUID id, String tenantId, OffsetDateTime now, long ttlMs, int maxTurns) {
        return getSession()
                .flatMap(s -> s.createNativeQuery("insert into sessions (id, tenant_id, created_at, expires_at, turns, max_turns)"
                                + " values (?1, ?2, ?3, ?4, 0, ?5) on conflict (id) do nothing")
                        .setParameter(1, id)
                        .setParameter(2, tenantId)
                        .setParameter(3, now)
                        .setParameter(4, now.plusNanos(ttlMs * 1_000_000L))
                        .setParameter(5, maxTurns)
                        .executeUpdate())
                .flatMap(n -> findById(id, LockModeType.PESSIMISTIC_WRITE));
    }
}
