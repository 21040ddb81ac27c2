package io.sluice.benchmarks.fairness;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.benchmarks.fairness.FairnessAnalysis.Flow;
import io.sluice.benchmarks.fairness.FairnessAnalysis.TaskTrace;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FairnessAnalysisTest {
    private static final long MS = 1_000_000L;
    private static final List<Flow> TWO = List.of(new Flow("a", 1, "interactive", 8), new Flow("b", 1, "batch", 1));

    @Test
    @DisplayName("only dispatches made while every flow waits count; the share and the gap are against the weights")
    @SuppressWarnings("unchecked")
    void countsOnlyBackloggedDispatches() {
        List<TaskTrace> traces = new ArrayList<>();
        // Both flows wait from t=0; b's only task starts at 900 ms, after which b no longer waits.
        for (int i = 0; i < 9; i++) {
            traces.add(new TaskTrace(0, "pool-a", 0, (100 + 100L * i) * MS, 0, 100 + 100L * i));
        }
        traces.add(new TaskTrace(1, "pool-a", 0, 450 * MS, 0, 450));
        // a's task after b stopped waiting: not counted, since b had nothing queued.
        traces.add(new TaskTrace(0, "pool-a", 950 * MS, 960 * MS, 0, 10));

        Map<String, Object> r = FairnessAnalysis.analyse(TWO, traces, 0, 2_000 * MS);

        List<Map<String, Object>> flows = (List<Map<String, Object>>) r.get("flows");
        assertThat(r.get("dispatches_backlogged")).as("a's 4 starts before 450 ms and b's one").isEqualTo(5L);
        assertThat(flows.get(0).get("dispatches_backlogged")).isEqualTo(4L);
        assertThat(flows.get(0).get("dispatches_in_window")).isEqualTo(10L);
        assertThat(flows.get(0).get("configured_share_pct")).isEqualTo(88.89);
        assertThat(flows.get(0).get("measured_share_pct")).isEqualTo(80.0);
        assertThat(r.get("max_gap_points")).isEqualTo(8.89);
        assertThat(r.get("backlogged_fraction_of_window")).as("both waited from 0 to 450 ms of 2 s").isEqualTo(0.23);
    }

    @Test
    @DisplayName("warm-up dispatches do not count, and a task still waiting at the window's end keeps its flow backlogged")
    @SuppressWarnings("unchecked")
    void warmUpIsExcludedAndUnstartedTasksWait() {
        List<TaskTrace> traces = List.of(
                new TaskTrace(0, "pool-a", 0, 50 * MS, 0, 50), // warm-up
                new TaskTrace(0, "pool-a", 0, 300 * MS, 0, 300),
                new TaskTrace(0, "pool-b", 0, 400 * MS, 0, 400),
                new TaskTrace(1, "pool-b", 0, -1, 0, -1));

        Map<String, Object> r = FairnessAnalysis.analyse(TWO, traces, 100 * MS, 1_000 * MS);

        assertThat(r.get("dispatches_backlogged")).isEqualTo(2L);
        assertThat(((Map<String, Object>) r.get("per_pool")).keySet()).containsExactly("pool-a", "pool-b");
        assertThat(((List<Map<String, Object>>) r.get("flows")).get(1).get("mean_waiting")).isEqualTo(1.0);
    }

    @Test
    @DisplayName("prediction error is |predicted - measured| over the measured wait, floored at 100 ms, with its signed median")
    @SuppressWarnings("unchecked")
    void predictionError() {
        List<TaskTrace> traces = List.of(
                new TaskTrace(0, "p", 10, 1_000 * MS, 800, 1_000), // 20 % early
                new TaskTrace(0, "p", 10, 2_000 * MS, 3_000, 2_000), // 50 % late
                new TaskTrace(1, "p", 10, 10 * MS, 30, 10), // 20 ms off a wait below the floor: 20 %
                new TaskTrace(1, "p", 10, -1, 500, -1)); // not started: no error known

        Map<String, Object> p = (Map<String, Object>) FairnessAnalysis.analyse(TWO, traces, 0, 5_000 * MS).get("prediction");

        assertThat(p.get("tasks")).isEqualTo(3);
        assertThat(p.get("p50_rel_error_pct")).isEqualTo(20.0);
        assertThat(p.get("p90_rel_error_pct")).isEqualTo(50.0);
        assertThat(p.get("median_signed_error_pct")).isEqualTo(20.0);
        assertThat(((Map<String, Object>) p.get("by_priority")).keySet()).containsExactly("batch", "interactive");
    }
}
