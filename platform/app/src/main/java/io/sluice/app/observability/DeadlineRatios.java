package io.sluice.app.observability;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.core.task.Priority;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@code deadlines_met_ratio{priority}} (SCH-4, OBS-1): of the tasks with a deadline that ended on this instance
 * (client cancels aside), the fraction that completed within it, since start. Reads 1 before any such task ended,
 * so that an idle instance does not look like it misses every deadline.
 */
final class DeadlineRatios {
    private final AtomicLongArray ended = new AtomicLongArray(Priority.values().length);
    private final AtomicLongArray met = new AtomicLongArray(Priority.values().length);

    DeadlineRatios(MeterRegistry registry) {
        for (Priority p : Priority.values()) {
            Gauge.builder("deadlines_met_ratio", this, r -> r.ratio(p))
                    .description("Fraction of ended tasks with a deadline that completed within it")
                    .tag("priority", p.wire()).register(registry);
        }
    }

    void ended(Priority p, boolean withinDeadline) {
        if (withinDeadline) {
            met.incrementAndGet(p.ordinal());
        }
        ended.incrementAndGet(p.ordinal());
    }

    private double ratio(Priority p) {
        long n = ended.get(p.ordinal());
        return n == 0 ? 1.0 : (double) met.get(p.ordinal()) / n;
    }
}
