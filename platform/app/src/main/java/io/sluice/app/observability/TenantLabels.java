package io.sluice.app.observability;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code tenant} label value of a tenant (OBS-1, ADR 0014): the first {@code limit} tenants seen keep their own
 * id, every later one is {@code other}. A tenant never changes label while the process runs, so its series stay
 * continuous; the number of tenant series is bounded whatever the number of tenants. Thread-safe.
 */
final class TenantLabels {
    static final String OTHER = "other";

    private final int limit;
    private final ConcurrentHashMap<String, String> labels = new ConcurrentHashMap<>();
    private final AtomicInteger given = new AtomicInteger();

    TenantLabels(int limit) {
        this.limit = Math.max(0, limit);
    }

    String of(String tenantId) {
        String known = labels.get(tenantId);
        if (known != null) {
            return known;
        }
        // Tenants past the limit are remembered too (as "other"), so the slot count is read once per tenant.
        return labels.computeIfAbsent(tenantId, t -> given.getAndIncrement() < limit ? t : OTHER);
    }
}
