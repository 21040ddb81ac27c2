package io.sluice.app.policy.store;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * Policy versions, module bytes and bindings in PostgreSQL. Module bytes are content-addressed: identical
 * uploads (from any tenant) share one row, and a version row only names its digest. Every method needs a
 * reactive session.
 */
@ApplicationScoped
public class PolicyStore {

    public Uni<Void> putModule(String digest, byte[] bytes) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery(
                                "insert into policy_modules (digest, bytes) values (?1, ?2) on conflict (digest) do nothing")
                        .setParameter(1, digest)
                        .setParameter(2, bytes)
                        .executeUpdate())
                .replaceWithVoid();
    }

    public Uni<byte[]> module(String digest) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("select bytes from policy_modules where digest = ?1", byte[].class)
                .setParameter(1, digest)
                .getSingleResultOrNull());
    }

    /** A refusal remembered for these bytes under these host rules (POL-9): {reason, message}, or null. */
    public Uni<Object[]> refusal(String digest, String rules) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery(
                                "select reason, message from policy_refused_modules where digest = ?1 and rules = ?2", Object[].class)
                        .setParameter(1, digest)
                        .setParameter(2, rules)
                        .getSingleResultOrNull());
    }

    /** Remembers that these bytes were refused for themselves, so that no instance compiles them again (POL-9). */
    public Uni<Void> putRefusal(String digest, String rules, String reason, String message) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("insert into policy_refused_modules (digest, rules, reason, message)"
                                + " values (?1, ?2, ?3, ?4) on conflict (digest, rules) do nothing")
                        .setParameter(1, digest)
                        .setParameter(2, rules)
                        .setParameter(3, reason)
                        .setParameter(4, message)
                        .executeUpdate())
                .replaceWithVoid();
    }

    public Uni<PolicyVersionEntity> version(String tenantId, String name, String version) {
        return PolicyVersionEntity.<PolicyVersionEntity>find("tenantId = ?1 and name = ?2 and version = ?3", tenantId, name, version)
                .firstResult();
    }

    /** Versions of a policy, newest upload first. */
    public Uni<List<PolicyVersionEntity>> versions(String tenantId, String name) {
        return PolicyVersionEntity.<PolicyVersionEntity>find("tenantId = ?1 and name = ?2 order by id desc", tenantId, name).list();
    }

    public Uni<List<PolicyVersionEntity>> allVersions(String tenantId) {
        return PolicyVersionEntity.<PolicyVersionEntity>find("tenantId = ?1 order by name, id desc", tenantId).list();
    }

    public Uni<PolicyBindingEntity> binding(String tenantId, String name) {
        return PolicyBindingEntity.<PolicyBindingEntity>find("tenantId = ?1 and name = ?2", tenantId, name).firstResult();
    }

    public Uni<List<PolicyBindingEntity>> bindings(String tenantId) {
        return PolicyBindingEntity.<PolicyBindingEntity>find("tenantId = ?1", tenantId).list();
    }

    /** Every binding of every tenant, for the admission cache. */
    public Uni<List<PolicyBindingEntity>> allBindings() {
        return PolicyBindingEntity.<PolicyBindingEntity>listAll();
    }
}
