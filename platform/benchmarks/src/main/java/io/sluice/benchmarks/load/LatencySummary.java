package io.sluice.benchmarks.load;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Percentiles of one latency distribution, in milliseconds. Histograms record microseconds with three
 * significant digits, so a value is exact to 0.1 % — finer than anything a loopback run can resolve.
 */
public record LatencySummary(long count, double p50Ms, double p90Ms, double p99Ms, double maxMs) {
    /** Longest latency a histogram accepts; a longer one is clamped, since no phase lasts that long. */
    static final long HIGHEST_TRACKABLE_MICROS = TimeUnit.MINUTES.toMicros(30);

    public static final LatencySummary EMPTY = new LatencySummary(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

    /** A histogram suited to {@link #recordNanos}. */
    public static Histogram newHistogram() {
        return new Histogram(HIGHEST_TRACKABLE_MICROS, 3);
    }

    /** Records a duration measured with {@link System#nanoTime()}; negative or huge values are clamped. */
    public static void recordNanos(Histogram histogram, long nanos) {
        long micros = Math.max(0, nanos / 1_000);
        histogram.recordValue(Math.min(micros, HIGHEST_TRACKABLE_MICROS));
    }

    public static LatencySummary of(Histogram micros) {
        if (micros.getTotalCount() == 0) {
            return EMPTY;
        }
        return new LatencySummary(
                micros.getTotalCount(),
                ms(micros.getValueAtPercentile(50)),
                ms(micros.getValueAtPercentile(90)),
                ms(micros.getValueAtPercentile(99)),
                ms(micros.getMaxValue()));
    }

    /** Summary of several histograms taken together (the phases of one side). */
    public static LatencySummary merged(Collection<Histogram> histograms) {
        Histogram all = newHistogram();
        histograms.forEach(all::add);
        return of(all);
    }

    private static double ms(long micros) {
        return micros / 1_000.0;
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", count);
        m.put("p50_ms", round(p50Ms));
        m.put("p90_ms", round(p90Ms));
        m.put("p99_ms", round(p99Ms));
        m.put("max_ms", round(maxMs));
        return m;
    }

    /** Three decimals (microseconds) are all a histogram resolves; NaN (no sample) becomes JSON null. */
    static Double round(double v) {
        return Double.isNaN(v) ? null : Math.round(v * 1000.0) / 1000.0;
    }
}
