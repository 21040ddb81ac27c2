package io.sluice.app.tenancy;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/** The contract's tenant schemas (SCH-3); Jackson maps them with snake_case names and leaves nulls out. */
public final class TenantDtos {
    private TenantDtos() {}

    /** {@code TenantPut}: absent members take their defaults. */
    public record TenantPut(String displayName, Double weight, String tier, Map<String, String> labels, Boolean mayOverride,
            Boolean disabled, Boolean cancelOnDisconnect) {}

    /** {@code Tenant}. */
    public record Tenant(String tenantId, String displayName, double weight, String tier, Map<String, String> labels,
            boolean mayOverride, boolean disabled, boolean cancelOnDisconnect, OffsetDateTime disabledAt, OffsetDateTime createdAt,
            OffsetDateTime updatedAt) {}

    /** {@code TenantPage}. */
    public record TenantPage(List<Tenant> items, String nextCursor) {}

    /** {@code TenantQuotasPut}: a null or absent member is unlimited. */
    public record TenantQuotasPut(Integer maxConcurrent, Integer maxQueued, Integer rps, Integer burst, Long tokensPerMinute) {}

    /** {@code TenantQuotas}. */
    public record TenantQuotas(String tenantId, Integer maxConcurrent, Integer maxQueued, Integer rps, Integer burst,
            Long tokensPerMinute, OffsetDateTime updatedAt) {}

    /** {@code TenantIdentityPut}. */
    public record TenantIdentityPut(String issuer, String claimValue) {}

    /** {@code TenantIdentity}. */
    public record TenantIdentity(String tenantId, String issuer, String claimValue, OffsetDateTime createdAt) {}

    /** {@code TenantIdentityList}. */
    public record TenantIdentityList(List<TenantIdentity> items) {}
}
