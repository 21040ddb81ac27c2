package io.sluice.benchmarks.load;

import io.sluice.benchmarks.load.TaskClient.Side;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One side over its measured phases: latencies from the phases' histograms merged (every task weighs the
 * same), throughput as the mean of the phases, and the per-phase values kept to show the spread.
 */
record SideSummary(
        Side side,
        LatencySummary ttft,
        LatencySummary interToken,
        LatencySummary submit,
        double tasksPerSecond,
        long tasksCompleted,
        Map<String, Long> errors,
        List<PhaseResult> phases) {

    /** @return null when no phase of that side ran */
    static SideSummary of(Side side, List<PhaseResult> all) {
        List<PhaseResult> phases = all.stream().filter(p -> p.side() == side).toList();
        if (phases.isEmpty()) {
            return null;
        }
        Map<String, Long> errors = new TreeMap<>();
        phases.forEach(p -> p.errors().forEach((k, v) -> errors.merge(k, v, Long::sum)));
        return new SideSummary(
                side,
                LatencySummary.merged(phases.stream().map(PhaseResult::ttft).toList()),
                LatencySummary.merged(phases.stream().map(PhaseResult::interToken).toList()),
                LatencySummary.merged(phases.stream().map(PhaseResult::submit).toList()),
                phases.stream().mapToDouble(PhaseResult::tasksPerSecond).average().orElse(Double.NaN),
                phases.stream().mapToLong(PhaseResult::measuredCompleted).sum(),
                errors,
                phases);
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tasks_per_s", LatencySummary.round(tasksPerSecond));
        m.put("tasks_completed", tasksCompleted);
        m.put("ttft", ttft.toJson());
        m.put("inter_token", interToken.toJson());
        if (side == Side.SLUICE || side == Side.SESSIONS) {
            m.put("submit", submit.toJson());
        }
        m.put("errors", errors);
        Map<String, Object> spread = new LinkedHashMap<>();
        spread.put("tasks_per_s", phases.stream().map(p -> LatencySummary.round(p.tasksPerSecond())).toList());
        spread.put("ttft_p50_ms", phases.stream().map(p -> LatencySummary.round(LatencySummary.of(p.ttft()).p50Ms())).toList());
        spread.put("ttft_p99_ms", phases.stream().map(p -> LatencySummary.round(LatencySummary.of(p.ttft()).p99Ms())).toList());
        spread.put("inter_token_p99_ms", phases.stream().map(p -> LatencySummary.round(LatencySummary.of(p.interToken()).p99Ms())).toList());
        m.put("by_phase", spread);
        return m;
    }
}
