package io.sluice.app.observability;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.core.task.Priority;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code admission_share{tenant,priority}} (SCH-1, OBS-1): each (tenant label, priority)'s share of recent dispatches,
 * as an exponentially weighted moving average over roughly the last {@code 1/ALPHA} dispatches, normalised so that
 * the shares of all keys sum to 1 from the first dispatch on. Keys are bounded by {@link TenantLabels}, so an update touches a
 * bounded number of values.
 */
final class AdmissionShares {
    /** Weight of the newest dispatch: the average spans about 200 dispatches. */
    static final double ALPHA = 0.005;

    private final MeterRegistry registry;
    private final List<Share> shares = new ArrayList<>();
    /** The weight all shares hold together; dividing by it makes the shares sum to 1 from the first dispatch on. */
    private volatile double total;

    AdmissionShares(MeterRegistry registry) {
        this.registry = registry;
    }

    synchronized void dispatched(String tenantLabel, Priority priority) {
        Share hit = null;
        for (Share s : shares) {
            s.value *= 1 - ALPHA;
            if (s.priority == priority && s.tenant.equals(tenantLabel)) {
                hit = s;
            }
        }
        if (hit == null) {
            hit = new Share(tenantLabel, priority);
            shares.add(hit);
            Gauge.builder("admission_share", hit, this::read)
                    .description("Share of recent dispatches per tenant and priority (EWMA)")
                    .tags("tenant", tenantLabel, "priority", priority.wire()).register(registry);
        }
        hit.value += ALPHA;
        total = total * (1 - ALPHA) + ALPHA;
    }

    private double read(Share s) {
        double t = total;
        return t == 0 ? 0 : s.value / t;
    }

    private static final class Share {
        final String tenant;
        final Priority priority;
        volatile double value;

        Share(String tenant, Priority priority) {
            this.tenant = tenant;
            this.priority = priority;
        }
    }
}
