package io.sluice.app.tenancy.store;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Tenants in PostgreSQL. Every method needs a reactive session (callers run inside a transaction). */
@ApplicationScoped
public class TenantRepository implements PanacheRepositoryBase<TenantEntity, String> {

    /** Makes sure a tenant row exists for an id seen in a token; never changes an existing row. */
    public Uni<Void> ensureExists(String tenantId) {
        return getSession().flatMap(s -> s.createNativeQuery(
                                "insert into tenants (id, created_at, updated_at) values (?1, now(), now()) on conflict (id) do nothing")
                        .setParameter(1, tenantId)
                        .executeUpdate())
                .replaceWithVoid();
    }
}
