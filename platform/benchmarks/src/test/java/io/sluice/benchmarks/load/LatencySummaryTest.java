package io.sluice.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencySummaryTest {
    private static Histogram millis(int fromMs, int toMs) {
        Histogram h = LatencySummary.newHistogram();
        for (int ms = fromMs; ms <= toMs; ms++) {
            LatencySummary.recordNanos(h, ms * 1_000_000L);
        }
        return h;
    }

    @Test
    void percentilesOfAUniformDistributionAreWithinTheHistogramPrecision() {
        LatencySummary s = LatencySummary.of(millis(1, 1000));
        assertThat(s.count()).isEqualTo(1000);
        assertThat(s.p50Ms()).isCloseTo(500, within(0.5));
        assertThat(s.p90Ms()).isCloseTo(900, within(0.9));
        assertThat(s.p99Ms()).isCloseTo(990, within(1.0));
        assertThat(s.maxMs()).isCloseTo(1000, within(1.0));
    }

    @Test
    void mergedPhasesWeighEveryTaskTheSame() {
        // 900 fast tasks in one phase and 100 slow ones in another: the p90 is at the boundary, not the mean of phases.
        Histogram fast = LatencySummary.newHistogram();
        Histogram slow = LatencySummary.newHistogram();
        for (int i = 0; i < 900; i++) {
            LatencySummary.recordNanos(fast, 10_000_000L);
        }
        for (int i = 0; i < 100; i++) {
            LatencySummary.recordNanos(slow, 1_000_000_000L);
        }
        LatencySummary s = LatencySummary.merged(List.of(fast, slow));
        assertThat(s.count()).isEqualTo(1000);
        assertThat(s.p50Ms()).isCloseTo(10, within(0.01));
        assertThat(s.p90Ms()).isCloseTo(10, within(0.01));
        assertThat(s.p99Ms()).isCloseTo(1000, within(1.0));
    }

    @Test
    void anEmptyHistogramHasNoPercentilesAndWritesNulls() {
        LatencySummary s = LatencySummary.of(LatencySummary.newHistogram());
        assertThat(s).isEqualTo(LatencySummary.EMPTY);
        assertThat(s.toJson()).containsEntry("count", 0L).containsEntry("p50_ms", null);
    }

    @Test
    void clampsNegativeAndOverlongDurations() {
        Histogram h = LatencySummary.newHistogram();
        LatencySummary.recordNanos(h, -5);
        LatencySummary.recordNanos(h, Long.MAX_VALUE);
        assertThat(h.getTotalCount()).isEqualTo(2);
        assertThat(h.getMinValue()).isZero();
        assertThat(h.getMaxValue()).isGreaterThanOrEqualTo(LatencySummary.HIGHEST_TRACKABLE_MICROS);
    }

    @Test
    void roundsToMicrosecondsForTheResultFile() {
        assertThat(LatencySummary.round(1.23456)).isEqualTo(1.235);
        assertThat(LatencySummary.round(Double.NaN)).isNull();
    }
}
