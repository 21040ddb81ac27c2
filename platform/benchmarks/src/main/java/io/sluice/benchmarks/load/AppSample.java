package io.sluice.benchmarks.load;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The app process over one measured window.
 *
 * @param cpuSeconds user + system CPU time the process spent in the window (all its threads)
 * @param threadsMax most threads seen while sampling the window
 * @param rssMaxMiB largest resident set seen while sampling the window
 * @param heapAfterGcMiB heap in use right after a full GC once the phase drained, or -1 when it could not be read
 * @param jitCompileSeconds JIT compilation time within the window (part of {@code cpuSeconds}), -1 when unknown
 */
record AppSample(double cpuSeconds, int threadsMax, long rssMaxMiB, double heapAfterGcMiB, double jitCompileSeconds) {

    Map<String, Object> toJson(long tasks, long tokens) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu_s", LatencySummary.round(cpuSeconds));
        m.put("cpu_ms_per_task", tasks == 0 ? null : LatencySummary.round(cpuSeconds * 1e3 / tasks));
        m.put("cpu_us_per_token", tokens == 0 ? null : LatencySummary.round(cpuSeconds * 1e6 / tokens));
        m.put("threads_max", threadsMax);
        m.put("rss_max_mib", rssMaxMiB);
        m.put("heap_after_gc_mib", heapAfterGcMiB < 0 ? null : LatencySummary.round(heapAfterGcMiB));
        m.put("jit_compile_s", jitCompileSeconds < 0 ? null : LatencySummary.round(jitCompileSeconds));
        return m;
    }
}
