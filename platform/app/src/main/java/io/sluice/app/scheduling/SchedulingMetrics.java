package io.sluice.app.scheduling;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.core.scheduling.TaskObserver;
import io.sluice.core.scheduling.TaskRun;
import io.sluice.core.stream.TaskEvent;
import io.sluice.core.task.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * The scheduling gauges and counters of this instance: {@code admission_share{tenant,priority}} (SCH-1, an EWMA of
 * each flow's share of dispatches), {@code deadlines_met_ratio{priority}} (SCH-4, completed tasks that ended
 * within their deadline, of all completed) and {@code preemptions_total{mode,engine}} (SCH-5). Fed by scheduler
 * events on scheduler and engine threads; each update is O(flows) at most and holds only this object's lock.
 */
@ApplicationScoped
public class SchedulingMetrics implements TaskObserver {
    /** Weight of one dispatch in the share EWMA: about the last 100 dispatches count. */
    private static final double SHARE_ALPHA = 0.01;

    @Inject
    MeterRegistry registry;

    private final Map<Flow, double[]> shares = new HashMap<>();
    private final EnumMap<Priority, long[]> deadlines = new EnumMap<>(Priority.class);

    private record Flow(String tenant, Priority priority) {}

    @Override
    public void onStarted(TaskRun run) {
        Flow started = new Flow(run.spec().tenantId(), run.spec().priority());
        synchronized (this) {
            if (!shares.containsKey(started)) {
                double[] cell = {0.0};
                shares.put(started, cell);
                Gauge.builder("admission.share", this, m -> m.share(cell))
                        .description("EWMA of the share of dispatches per tenant and priority (SCH-1)")
                        .tag("tenant", started.tenant())
                        .tag("priority", started.priority().wire())
                        .register(registry);
            }
            for (Map.Entry<Flow, double[]> e : shares.entrySet()) {
                double hit = e.getKey().equals(started) ? 1.0 : 0.0;
                e.getValue()[0] = SHARE_ALPHA * hit + (1 - SHARE_ALPHA) * e.getValue()[0];
            }
        }
    }

    @Override
    public void onTerminal(TaskRun run, TaskEvent terminal, EndReason reason) {
        if (reason == EndReason.PREEMPTED) {
            Counter.builder("preemptions")
                    .description("Tasks preempted for higher-priority work, by mode and engine (SCH-5)")
                    .tag("mode", "soft")
                    .tag("engine", run.pool().engine().wire())
                    .register(registry)
                    .increment();
            return;
        }
        if (reason != EndReason.COMPLETED) {
            return;
        }
        long tookMs = System.currentTimeMillis() - run.createdAt().toEpochMilli();
        boolean met = tookMs <= run.spec().deadlineMs();
        Priority p = run.spec().priority();
        synchronized (this) {
            long[] counts = deadlines.get(p);
            if (counts == null) {
                counts = new long[2];
                deadlines.put(p, counts);
                long[] cell = counts;
                Gauge.builder("deadlines.met.ratio", this, m -> m.ratio(cell))
                        .description("Completed tasks that ended within deadline_ms, of all completed, per priority (SCH-4)")
                        .tag("priority", p.wire())
                        .register(registry);
            }
            counts[0] += met ? 1 : 0;
            counts[1]++;
        }
    }

    private synchronized double share(double[] cell) {
        return cell[0];
    }

    private synchronized double ratio(long[] counts) {
        return counts[1] == 0 ? 1.0 : (double) counts[0] / counts[1];
    }
}
