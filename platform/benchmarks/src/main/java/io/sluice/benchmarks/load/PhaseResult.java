package io.sluice.benchmarks.load;

import io.sluice.benchmarks.load.TaskClient.Side;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What one phase measured. Latencies are of tasks started in the measured window; rates count what ended
 * (tasks) or arrived (tokens) in it.
 *
 * @param measuredTasks tasks started in the window
 * @param measuredCompleted of those, the ones that ended normally
 * @param endedInWindow tasks (of any start time) that ended normally within the window
 * @param app the app process during the window, or null for the direct side or an unknown process
 */
record PhaseResult(
        String name,
        Side side,
        double windowSeconds,
        Histogram ttft,
        Histogram interToken,
        Histogram submit,
        long measuredTasks,
        long measuredCompleted,
        long endedInWindow,
        long tokensInWindow,
        Map<String, Long> errors,
        AppSample app) {

    PhaseResult withApp(AppSample sample) {
        return new PhaseResult(name, side, windowSeconds, ttft, interToken, submit, measuredTasks, measuredCompleted,
                endedInWindow, tokensInWindow, errors, sample);
    }

    double tasksPerSecond() {
        return endedInWindow / windowSeconds;
    }

    double tokensPerSecond() {
        return tokensInWindow / windowSeconds;
    }

    long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("side", side.wire());
        m.put("window_s", windowSeconds);
        m.put("tasks_started", measuredTasks);
        m.put("tasks_completed", measuredCompleted);
        m.put("tasks_per_s", LatencySummary.round(tasksPerSecond()));
        m.put("tokens_per_s", LatencySummary.round(tokensPerSecond()));
        m.put("ttft", LatencySummary.of(ttft).toJson());
        m.put("inter_token", LatencySummary.of(interToken).toJson());
        if (side == Side.SLUICE || side == Side.SESSIONS) {
            m.put("submit", LatencySummary.of(submit).toJson());
        }
        m.put("errors", errors);
        if (app != null) {
            m.put("app", app.toJson(endedInWindow, tokensInWindow));
        }
        return m;
    }
}
