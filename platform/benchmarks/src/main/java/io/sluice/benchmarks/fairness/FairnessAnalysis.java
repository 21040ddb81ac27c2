package io.sluice.benchmarks.fairness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a fairness run measured, from the tasks the clients saw (SCH-1, SCH-4): the share of dispatches each
 * (tenant, priority) flow got while <em>every</em> flow had a task waiting, against the share its weight gives it,
 * and how far each task's {@code predicted_start_ms} was from its measured wait. Pure: no clock, no I/O.
 *
 * <p>A flow is backlogged at an instant when one of its tasks was accepted and has not started. Only dispatches at
 * which every flow was backlogged just before count: outside such instants weighted fair queuing owes a flow nothing,
 * so counting them would blame the scheduler for an idle client.
 */
public final class FairnessAnalysis {
    /** Waits below this say nothing about the prediction model, only about timer granularity (as the app's own floor). */
    static final long PREDICTION_FLOOR_MS = 100;

    /**
     * One (tenant, priority) flow of the run.
     *
     * @param tenantWeight the weight set through the admin API
     * @param priorityWeight the configured weight of the priority (SCH-1 defaults: interactive 8, batch 1)
     */
    public record Flow(String tenant, double tenantWeight, String priority, double priorityWeight) {
        double weight() {
            return tenantWeight * priorityWeight;
        }
    }

    /**
     * One task as a client saw it. Times are {@link System#nanoTime()}; {@code startNanos} is -1 when the task had not
     * started when the run stopped looking.
     *
     * @param pool the pool whose queue held it (from its {@code started} event), or null
     * @param predictedStartMs {@code predicted_start_ms} of the 202 answer
     * @param measuredStartMs the wait the server measured ({@code queue_time_ms} of the {@code metrics} event that says
     *     {@code state: running}), or -1 when it had not started
     */
    public record TaskTrace(int flow, String pool, long acceptedNanos, long startNanos, long predictedStartMs, long measuredStartMs) {}

    private FairnessAnalysis() {}

    /**
     * @param windowStartNanos dispatches and predictions before this are warm-up and not counted
     * @param windowEndNanos the end of the measured window; tasks not started by then are still waiting at it
     */
    public static Map<String, Object> analyse(List<Flow> flows, List<TaskTrace> traces, long windowStartNanos, long windowEndNanos) {
        Map<String, Object> out = sweep(flows, traces, windowStartNanos, windowEndNanos);
        out.put("within_pools", withinPools(flows, traces, windowStartNanos, windowEndNanos));
        out.put("prediction", prediction(flows, traces, windowStartNanos, windowEndNanos));
        return out;
    }

    /** Shares of the dispatches made while every flow of {@code traces} had a task waiting. */
    private static Map<String, Object> sweep(List<Flow> flows, List<TaskTrace> traces, long windowStartNanos, long windowEndNanos) {
        int n = flows.size();
        double weightSum = flows.stream().mapToDouble(Flow::weight).sum();

        // Sweep accept (+1 waiting) and start (-1 waiting) events in time order; a start counts when every flow waits.
        List<long[]> events = new ArrayList<>(); // {time, flow, +1|-1, trace index}
        for (int i = 0; i < traces.size(); i++) {
            TaskTrace t = traces.get(i);
            if (t.acceptedNanos() >= windowEndNanos) {
                continue;
            }
            events.add(new long[] {t.acceptedNanos(), t.flow(), +1, i});
            if (t.startNanos() >= 0 && t.startNanos() < windowEndNanos) {
                events.add(new long[] {Math.max(t.startNanos(), t.acceptedNanos()), t.flow(), -1, i});
            }
        }
        // At equal times a start is applied before an accept: a flow whose last task starts is not backlogged by a
        // task that arrives in the same instant.
        events.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[2]));
        int[] waiting = new int[n];
        long[] backloggedDispatches = new long[n];
        long[] allDispatches = new long[n];
        double[] waitingIntegral = new double[n];
        Map<String, long[]> byPool = new TreeMap<>();
        long backloggedNanos = 0;
        long last = windowStartNanos;
        for (long[] e : events) {
            long time = e[0];
            if (time > last) {
                // The state since the previous event held over [last, time), of which the part in the window counts.
                if (allWaiting(waiting)) {
                    backloggedNanos += time - last;
                }
                for (int f = 0; f < n; f++) {
                    waitingIntegral[f] += (double) waiting[f] * (time - last);
                }
                last = time;
            }
            int flow = (int) e[1];
            if (e[2] < 0) {
                if (time >= windowStartNanos) {
                    allDispatches[flow]++;
                    if (allWaiting(waiting)) {
                        backloggedDispatches[flow]++;
                        String pool = traces.get((int) e[3]).pool();
                        byPool.computeIfAbsent(pool == null ? "unknown" : pool, k -> new long[n])[flow]++;
                    }
                }
                waiting[flow]--;
            } else {
                waiting[flow]++;
            }
        }
        if (windowEndNanos > last) {
            if (allWaiting(waiting)) {
                backloggedNanos += windowEndNanos - last;
            }
            for (int f = 0; f < n; f++) {
                waitingIntegral[f] += (double) waiting[f] * (windowEndNanos - last);
            }
        }

        long counted = Arrays.stream(backloggedDispatches).sum();
        long dispatched = Arrays.stream(allDispatches).sum();
        double window = windowEndNanos - windowStartNanos;
        List<Map<String, Object>> flowResults = new ArrayList<>();
        double maxGap = 0;
        for (int f = 0; f < n; f++) {
            Flow flow = flows.get(f);
            double configured = 100 * flow.weight() / weightSum;
            double measured = counted == 0 ? Double.NaN : 100.0 * backloggedDispatches[f] / counted;
            double gap = Math.abs(measured - configured);
            maxGap = Math.max(maxGap, gap);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("tenant", flow.tenant());
            r.put("priority", flow.priority());
            r.put("tenant_weight", flow.tenantWeight());
            r.put("weight", flow.weight());
            r.put("configured_share_pct", round(configured));
            r.put("measured_share_pct", round(measured));
            r.put("gap_points", round(gap));
            r.put("dispatches_backlogged", backloggedDispatches[f]);
            r.put("dispatches_in_window", allDispatches[f]);
            r.put("share_of_all_dispatches_pct", round(dispatched == 0 ? Double.NaN : 100.0 * allDispatches[f] / dispatched));
            r.put("mean_waiting", round(waitingIntegral[f] / window));
            flowResults.add(r);
        }
        Map<String, Object> perPool = new LinkedHashMap<>();
        byPool.forEach((pool, counts) -> {
            long total = Arrays.stream(counts).sum();
            Map<String, Object> shares = new LinkedHashMap<>();
            for (int f = 0; f < n; f++) {
                shares.put(flows.get(f).tenant() + "/" + flows.get(f).priority(), round(100.0 * counts[f] / total));
            }
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("dispatches_backlogged", total);
            p.put("share_pct", shares);
            perPool.put(pool, p);
        });

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("max_gap_points", counted == 0 ? null : round(maxGap));
        out.put("dispatches_backlogged", counted);
        out.put("dispatches_in_window", dispatched);
        out.put("backlogged_fraction_of_window", round(backloggedNanos / window));
        out.put("flows", flowResults);
        out.put("per_pool", perPool);
        return out;
    }

    /**
     * The same count with "backlogged" taken per pool: a dispatch of a pool counts when every flow has a task waiting in
     * <em>that pool's</em> queue. Pools serving one model each keep their own fair queue, so a flow whose waiting tasks
     * all sit in the other pool's queue gets nothing from this one; comparing this with the global count tells the
     * queue's own fairness apart from where tasks were placed.
     */
    static Map<String, Object> withinPools(List<Flow> flows, List<TaskTrace> traces, long windowStartNanos, long windowEndNanos) {
        int n = flows.size();
        Map<String, List<TaskTrace>> byPool = new TreeMap<>();
        for (TaskTrace t : traces) {
            byPool.computeIfAbsent(t.pool() == null ? "unknown" : t.pool(), k -> new ArrayList<>()).add(t);
        }
        long[] counts = new long[n];
        for (List<TaskTrace> pool : byPool.values()) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> poolFlows = (List<Map<String, Object>>) analyseOnePool(flows, pool, windowStartNanos, windowEndNanos);
            for (int f = 0; f < n; f++) {
                counts[f] += (Long) poolFlows.get(f).get("dispatches_backlogged");
            }
        }
        long total = Arrays.stream(counts).sum();
        double weightSum = flows.stream().mapToDouble(Flow::weight).sum();
        double maxGap = 0;
        Map<String, Object> shares = new LinkedHashMap<>();
        for (int f = 0; f < n; f++) {
            double measured = total == 0 ? Double.NaN : 100.0 * counts[f] / total;
            maxGap = Math.max(maxGap, Math.abs(measured - 100 * flows.get(f).weight() / weightSum));
            shares.put(flows.get(f).tenant() + "/" + flows.get(f).priority(), round(measured));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("dispatches_backlogged", total);
        out.put("measured_share_pct", shares);
        out.put("max_gap_points", total == 0 ? null : round(maxGap));
        return out;
    }

    private static Object analyseOnePool(List<Flow> flows, List<TaskTrace> traces, long windowStartNanos, long windowEndNanos) {
        return sweep(flows, traces, windowStartNanos, windowEndNanos).get("flows");
    }

    private static boolean allWaiting(int[] waiting) {
        for (int w : waiting) {
            if (w <= 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Relative error of {@code predicted_start_ms} against the measured wait, for the tasks accepted in the window that
     * started: {@code |predicted - measured| / max(measured, 100 ms)}. The floor keeps a 3 ms prediction of a 1 ms wait
     * from counting as 200 % wrong. The signed median says whether predictions run early or late.
     */
    static Map<String, Object> prediction(List<Flow> flows, List<TaskTrace> traces, long windowStartNanos, long windowEndNanos) {
        Map<String, List<double[]>> byPriority = new TreeMap<>();
        List<double[]> all = new ArrayList<>();
        for (TaskTrace t : traces) {
            if (t.acceptedNanos() < windowStartNanos || t.acceptedNanos() >= windowEndNanos || t.measuredStartMs() < 0) {
                continue;
            }
            double denominator = Math.max(t.measuredStartMs(), PREDICTION_FLOOR_MS);
            double signed = (t.predictedStartMs() - t.measuredStartMs()) / denominator;
            double[] sample = {Math.abs(signed), signed};
            all.add(sample);
            byPriority.computeIfAbsent(flows.get(t.flow()).priority(), k -> new ArrayList<>()).add(sample);
        }
        Map<String, Object> out = errorFigures(all);
        Map<String, Object> priorities = new LinkedHashMap<>();
        byPriority.forEach((p, samples) -> priorities.put(p, errorFigures(samples)));
        out.put("by_priority", priorities);
        return out;
    }

    private static Map<String, Object> errorFigures(List<double[]> samples) {
        double[] abs = samples.stream().mapToDouble(s -> s[0]).sorted().toArray();
        double[] signed = samples.stream().mapToDouble(s -> s[1]).sorted().toArray();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tasks", samples.size());
        m.put("p50_rel_error_pct", samples.isEmpty() ? null : round(100 * percentile(abs, 50)));
        m.put("p90_rel_error_pct", samples.isEmpty() ? null : round(100 * percentile(abs, 90)));
        m.put("median_signed_error_pct", samples.isEmpty() ? null : round(100 * percentile(signed, 50)));
        return m;
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static double round(double v) {
        return Double.isNaN(v) ? Double.NaN : Math.round(v * 100) / 100.0;
    }
}
