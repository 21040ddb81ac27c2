package io.sluice.app.scheduling;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tenant weights for fair queuing (SCH-1), read at every enqueue. Tenants without a registered weight get
 * the default of 1.
 */
@ApplicationScoped
public class TenantWeights {
    private final Map<String, Double> weights = new ConcurrentHashMap<>();

    public double weightOf(String tenant) {
        return weights.getOrDefault(tenant, 1.0);
    }

    public void set(String tenant, double weight) {
        if (!(weight > 0)) {
            throw new IllegalArgumentException("weight must be positive");
        }
        weights.put(tenant, weight);
    }
}
