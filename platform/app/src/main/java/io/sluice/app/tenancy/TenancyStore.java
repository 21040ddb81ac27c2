package io.sluice.app.tenancy;

import io.sluice.core.error.SluiceError;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceException;
import io.sluice.core.quota.QuotaLimits;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.jboss.logging.Logger;

/**
 * Tenants, their quotas and identity mappings in PostgreSQL (migration V4), on the reactive client. Every write is one
 * statement, so concurrent writers never see half of another's change; the last write wins whole.
 */
@ApplicationScoped
public class TenancyStore {
    private static final Logger LOG = Logger.getLogger(TenancyStore.class);
    static final String TENANT_COLUMNS =
            "id, display_name, weight, tier, labels_json, may_override, disabled, disabled_at, created_at, updated_at, cancel_on_disconnect";

    @Inject
    Pool pool;

    /** A registered tenant as stored. */
    public record TenantRow(String id, String displayName, double weight, String tier, String labelsJson, boolean mayOverride,
            boolean disabled, OffsetDateTime disabledAt, OffsetDateTime createdAt, OffsetDateTime updatedAt, boolean cancelOnDisconnect) {
        static TenantRow of(Row r) {
            return new TenantRow(r.getString(0), r.getString(1), r.getDouble(2), r.getString(3), r.getString(4), r.getBoolean(5),
                    r.getBoolean(6), r.getOffsetDateTime(7), r.getOffsetDateTime(8), r.getOffsetDateTime(9), r.getBoolean(10));
        }
    }

    public record QuotaRow(String tenantId, QuotaLimits limits, OffsetDateTime updatedAt) {}

    public record IdentityRow(String issuer, String claimValue, String tenantId, OffsetDateTime createdAt) {}

    /** What a registration did. */
    public record Registered(TenantRow tenant, boolean created) {}

    public CompletionStage<Optional<TenantRow>> find(String id) {
        return pool.preparedQuery("select " + TENANT_COLUMNS + " from tenants where id = $1 and registered").execute(Tuple.of(id))
                .map(rows -> rows.size() == 0 ? Optional.<TenantRow>empty() : Optional.of(TenantRow.of(rows.iterator().next())))
                .toCompletionStage()
                .exceptionally(e -> {
                    throw unavailable(e);
                });
    }

    /** Registered tenants with ids after {@code after} (null: from the start), by id. */
    public CompletionStage<List<TenantRow>> list(String after, int limit) {
        return pool.preparedQuery("select " + TENANT_COLUMNS + " from tenants where registered and ($1::text is null or id > $1)"
                        + " order by id limit $2")
                .execute(Tuple.of(after, limit))
                .map(rows -> {
                    List<TenantRow> out = new ArrayList<>(rows.size());
                    for (Row r : rows) {
                        out.add(TenantRow.of(r));
                    }
                    return out;
                })
                .toCompletionStage()
                .exceptionally(e -> {
                    throw unavailable(e);
                });
    }

    /**
     * Registers or replaces a tenant in one statement; {@code created} when it was not registered before (it may have
     * existed as an id seen in tokens). Disabling records when; enabling clears it.
     */
    public CompletionStage<Registered> put(String id, String displayName, double weight, String tier, String labelsJson,
            boolean mayOverride, boolean disabled, boolean cancelOnDisconnect) {
        String sql = """
                with before as (select registered from tenants where id = $1)
                insert into tenants as t (id, display_name, weight, tier, labels_json, may_override, registered, disabled, disabled_at,
                                          created_at, updated_at, cancel_on_disconnect)
                values ($1, $2, $3, $4, $5, $6, true, $7, case when $7 then now() end, now(), now(), $8)
                on conflict (id) do update set display_name = excluded.display_name, weight = excluded.weight, tier = excluded.tier,
                  labels_json = excluded.labels_json, may_override = excluded.may_override, registered = true,
                  disabled = excluded.disabled, cancel_on_disconnect = excluded.cancel_on_disconnect,
                  disabled_at = case when excluded.disabled then coalesce(t.disabled_at, now()) end,
                  created_at = case when t.registered then t.created_at else now() end,
                  updated_at = now()
                returning %s, coalesce((select registered from before), false)
                """.formatted(TENANT_COLUMNS);
        return pool.preparedQuery(sql)
                .execute(Tuple.from(new Object[] {id, displayName, weight, tier, labelsJson, mayOverride, disabled, cancelOnDisconnect}))
                .map(rows -> {
                    Row r = rows.iterator().next();
                    return new Registered(TenantRow.of(r), !r.getBoolean(11));
                })
                .toCompletionStage()
                .exceptionally(e -> {
                    throw unavailable(e);
                });
    }

    /** The quotas of a registered tenant; empty when it is not registered. A tenant without a quota row is unlimited. */
    public CompletionStage<Optional<QuotaRow>> quotas(String tenantId) {
        return pool.preparedQuery("select t.id, q.max_concurrent, q.max_queued, q.rps, q.burst, q.tokens_per_minute,"
                        + " coalesce(q.updated_at, t.updated_at) from tenants t left join tenant_quotas q on q.tenant_id = t.id"
                        + " where t.id = $1 and t.registered")
                .execute(Tuple.of(tenantId))
                .map(rows -> rows.size() == 0 ? Optional.<QuotaRow>empty() : Optional.of(quotaRow(rows.iterator().next())))
                .toCompletionStage()
                .exceptionally(e -> {
                    throw unavailable(e);
                });
    }

    /**
     * Replaces the quotas of a registered tenant in one upsert (last write wins; nothing of an earlier write survives
     * next to a later one); empty when the tenant is not registered.
     */
    public CompletionStage<Optional<QuotaRow>> putQuotas(String tenantId, QuotaLimits l) {
        String sql = """
                insert into tenant_quotas as q (tenant_id, max_concurrent, max_queued, rps, burst, tokens_per_minute, updated_at)
                select id, $2, $3, $4, $5, $6, clock_timestamp() from tenants where id = $1 and registered
                on conflict (tenant_id) do update set max_concurrent = excluded.max_concurrent, max_queued = excluded.max_queued,
                  rps = excluded.rps, burst = excluded.burst, tokens_per_minute = excluded.tokens_per_minute,
                  updated_at = excluded.updated_at
                returning tenant_id, max_concurrent, max_queued, rps, burst, tokens_per_minute, updated_at
                """;
        return pool.preparedQuery(sql)
                .execute(Tuple.from(new Object[] {tenantId, l.maxConcurrent(), l.maxQueued(), l.rps(), l.burst(), l.tokensPerMinute()}))
                .map(rows -> rows.size() == 0 ? Optional.<QuotaRow>empty() : Optional.of(quotaRow(rows.iterator().next())))
                .toCompletionStage()
                .exceptionally(e -> {
                    throw unavailable(e);
                });
    }

    /**
     * Maps an identity to a registered tenant. Empty when the tenant is not registered; {@code CONFLICT} when the
     * identity is mapped to another tenant (remapping a caller silently would hand its tasks' successors to someone
     * else). Mapping it again to the same tenant changes nothing.
     */
    public CompletionStage<Optional<Map.Entry<IdentityRow, Boolean>>> mapIdentity(String tenantId, String issuer, String claimValue) {
        String sql = """
                with ins as (
                  insert into tenant_identities (issuer, claim_value, tenant_id)
                  select $2, $3, id from tenants where id = $1 and registered
                  on conflict (issuer, claim_value) do nothing
                  returning issuer, claim_value, tenant_id, created_at, true as created
                )
                select * from ins
                union all
                select issuer, claim_value, tenant_id, created_at, false from tenant_identities
                  where issuer = $2 and claim_value = $3 and not exists (select 1 from ins)
                union all
                select null, null, null, null, false where not exists (select 1 from tenants where id = $1 and registered)
                """;
        return pool.preparedQuery(sql).execute(Tuple.of(tenantId, issuer, claimValue)).map(rows -> {
            Row r = null;
            for (Row x : rows) {
                if (x.getString(2) == null) {
                    return Optional.<Map.Entry<IdentityRow, Boolean>>empty(); // the tenant is not registered
                }
                r = x;
            }
            IdentityRow row = new IdentityRow(r.getString(0), r.getString(1), r.getString(2), r.getOffsetDateTime(3));
            if (!row.tenantId().equals(tenantId)) {
                throw new SluiceException(SluiceError.of(ErrorCode.CONFLICT,
                        "the identity (" + issuer + ", " + claimValue + ") is mapped to another tenant").withField("claim_value"));
            }
            return Optional.of(Map.entry(row, r.getBoolean(4)));
        }).toCompletionStage().exceptionally(e -> {
            throw unavailable(e);
        });
    }

    public CompletionStage<List<IdentityRow>> identities(String tenantId) {
        return pool.preparedQuery("select issuer, claim_value, tenant_id, created_at from tenant_identities where tenant_id = $1"
                        + " order by issuer, claim_value")
                .execute(Tuple.of(tenantId))
                .map(rows -> {
                    List<IdentityRow> out = new ArrayList<>();
                    for (Row r : rows) {
                        out.add(new IdentityRow(r.getString(0), r.getString(1), r.getString(2), r.getOffsetDateTime(3)));
                    }
                    return out;
                })
                .toCompletionStage()
                .exceptionally(e -> {
                    throw unavailable(e);
                });
    }

    // ------------------------------------------------------------------------------------------ snapshot

    /**
     * Everything every instance serves from memory, read in one round trip per table.
     *
     * @param cancelOnDisconnect tenants whose tasks are canceled when their stream's last reader disconnects, unless the
     *     request says otherwise
     */
    public record Snapshot(Map<String, Double> weights, Map<String, Boolean> disabled, Map<String, QuotaLimits> quotas,
            Map<String, String> identities, List<String> liveInstances, java.util.Set<String> cancelOnDisconnect) {}

    public CompletionStage<Snapshot> snapshot() {
        Map<String, Double> weights = new HashMap<>();
        Map<String, Boolean> disabled = new HashMap<>();
        Map<String, QuotaLimits> quotas = new HashMap<>();
        Map<String, String> identities = new HashMap<>();
        List<String> instances = new ArrayList<>();
        java.util.Set<String> cancelOnDisconnect = new java.util.HashSet<>();
        return pool.query("select id, weight, disabled, cancel_on_disconnect from tenants where weight <> 1 or disabled"
                        + " or cancel_on_disconnect").execute()
                .map(rows -> {
                    for (Row r : rows) {
                        weights.put(r.getString(0), r.getDouble(1));
                        disabled.put(r.getString(0), r.getBoolean(2));
                        if (r.getBoolean(3)) {
                            cancelOnDisconnect.add(r.getString(0));
                        }
                    }
                    return null;
                })
                .compose(v -> pool.query("select tenant_id, max_concurrent, max_queued, rps, burst, tokens_per_minute, updated_at"
                        + " from tenant_quotas").execute())
                .map(rows -> {
                    for (Row r : rows) {
                        quotas.put(r.getString(0), quotaRow(r).limits());
                    }
                    return null;
                })
                .compose(v -> pool.query("select issuer, claim_value, tenant_id from tenant_identities").execute())
                .map(rows -> {
                    for (Row r : rows) {
                        identities.put(identityKey(r.getString(0), r.getString(1)), r.getString(2));
                    }
                    return null;
                })
                // Instances whose lease expired but were not resolved yet still count: their shares stay unused until a
                // sweep resolves them, which errs on the safe side (SCH-3 never exceeded).
                .compose(v -> pool.query("select id from instances where resolved_at is null order by id").execute())
                .map(rows -> {
                    for (Row r : rows) {
                        instances.add(r.getString(0));
                    }
                    return new Snapshot(weights, disabled, quotas, identities, instances, cancelOnDisconnect);
                })
                .toCompletionStage();
    }

    static String identityKey(String issuer, String claimValue) {
        return issuer + '\n' + claimValue;
    }

    private static QuotaRow quotaRow(Row r) {
        Long tpm = r.getLong(5);
        return new QuotaRow(r.getString(0), new QuotaLimits(r.getInteger(1), r.getInteger(2), r.getInteger(3), r.getInteger(4), tpm),
                r.getOffsetDateTime(6));
    }

    private static RuntimeException unavailable(Throwable e) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof SluiceException se) {
            return se;
        }
        LOG.warnf("tenancy store failed: %s", cause.toString());
        return new SluiceException(SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE, "the tenant store is unreachable")
                .withRetryAfter(1_000L));
    }
}
