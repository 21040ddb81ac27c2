package io.sluice.core.admission;

import java.util.Map;

/**
 * What admission knows of a tenant, read from memory (never from the database per request): its tier and labels
 * as policies see them (POL-1).
 */
public record TenantSnapshot(String id, String tier, Map<String, String> labels) {
    public TenantSnapshot {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** A tenant nothing was configured for. */
    public static TenantSnapshot unconfigured(String id) {
        return new TenantSnapshot(id, "standard", Map.of());
    }
}
