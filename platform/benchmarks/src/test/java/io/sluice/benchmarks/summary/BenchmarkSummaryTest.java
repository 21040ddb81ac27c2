package io.sluice.benchmarks.summary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkSummaryTest {
    private static final Path REPO = Path.of(System.getProperty("test.repo.root", "../.."));

    @Test
    @DisplayName("PERF-2 docs/benchmarks/README.md shows what the checked-in results and targets give (regenerate: bin/sluice bench summary)")
    void readmeIsNotStale() throws Exception {
        BenchmarkSummary summary = new BenchmarkSummary(REPO.resolve("docs/benchmarks"));
        String readme = Files.readString(summary.readme());
        assertThat(BenchmarkSummary.replaceBlock(readme, summary.render()))
                .as("docs/benchmarks/README.md is stale: run bin/sluice bench summary")
                .isEqualTo(readme);
    }

    @Test
    @DisplayName("the figure is the median of the newest day's runs, with their spread, and is judged against target and bar")
    void medianOfNewestDayAgainstTargetAndBar(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("results/hot-path"));
        writeRun(dir, "2026-12-01-admissions-c64-1.json", "2026-12-01T10:00:00Z", 9000);
        writeRun(dir, "2026-12-02-admissions-c64-1.json", "2026-12-02T10:00:00Z", 1800);
        writeRun(dir, "2026-12-02-admissions-c64-2.json", "2026-12-02T11:00:00Z", 2400);
        writeRun(dir, "2026-12-02-admissions-c64-3.json", "2026-12-02T12:00:00Z", 2100);
        Files.writeString(dir.resolve("targets.json"), """
                {"targets": [
                  {"what": "rate", "issue": 9, "kind": "hot-path", "dir": "hot-path", "select": {"scenario": "admissions", "clients": 64},
                   "value": "sides.sluice.tasks_per_s", "unit": "/s", "better": "higher", "target": 5000, "bar": 2000},
                  {"what": "strict", "issue": 9, "kind": "hot-path", "dir": "hot-path", "select": {"scenario": "admissions", "clients": 64},
                   "value": "sides.sluice.tasks_per_s", "unit": "/s", "better": "higher", "target": 2500},
                  {"what": "other clients", "issue": 9, "kind": "hot-path", "dir": "hot-path", "select": {"scenario": "admissions", "clients": 8},
                   "value": "sides.sluice.tasks_per_s", "unit": "/s", "better": "higher", "target": 1},
                  {"what": "later", "issue": 11, "kind": "none", "where": "issue 11 will measure it", "unit": "µs", "target": 2}
                ]}
                """);

        String table = new BenchmarkSummary(dir).render();

        assertThat(table).contains("| rate | 9 | ≥ 5,000 /s (resolution bar ≥ 2,000 /s) | 2,100 /s (1,800–2,400, 3 runs) | resolution bar met, target not | 2026-12-02, `abc1234` |");
        assertThat(table).as("the older day's 9,000 is not the figure").doesNotContain("9,000");
        assertThat(table).contains("| strict | 9 | ≥ 2,500 /s | 2,100 /s (1,800–2,400, 3 runs) | not met |");
        assertThat(table).contains("| other clients | 9 | ≥ 1.00 /s | — | no result | — | no matching run in `results/hot-path/` |");
        assertThat(table).contains("| later | 11 | ≤ 2.00 µs | — | no result | — | issue 11 will measure it |");
    }

    @Test
    @DisplayName("JMH scores are read at the declared percentile and quoted in microseconds")
    void jmhPercentileInMicroseconds(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("results/jmh"));
        Files.writeString(dir.resolve("results/jmh/2026-12-03-policy-1.json"), """
                [{"benchmark": "x.PolicyBench.aot", "mode": "sample",
                  "primaryMetric": {"score": 4500.0, "scoreUnit": "ns/op", "scorePercentiles": {"50.0": 4200.0, "99.0": 16000.0}}}]
                """);
        Files.writeString(dir.resolve("targets.json"), """
                {"targets": [
                  {"what": "p50", "issue": 15, "kind": "jmh", "dir": "jmh", "benchmark": "x.PolicyBench.aot", "percentile": "50.0",
                   "unit": "µs", "better": "lower", "target": 5},
                  {"what": "p99", "issue": 15, "kind": "jmh", "dir": "jmh", "benchmark": "x.PolicyBench.aot", "percentile": "99.0",
                   "unit": "µs", "better": "lower", "target": 15},
                  {"what": "plain", "issue": 15, "kind": "jmh", "dir": "jmh", "benchmark": "x.PolicyBench.aot", "percentile": "50.0",
                   "unit": "µs", "better": "lower"}
                ]}
                """);

        String table = new BenchmarkSummary(dir).render();

        assertThat(table).contains("| p50 | 15 | ≤ 5.00 µs | 4.20 µs (1 run) | **met** |");
        assertThat(table).contains("| p99 | 15 | ≤ 15.0 µs | 16.0 µs (1 run) | not met |");
        assertThat(table).contains("| plain | 15 | — | 4.20 µs (1 run) | reference |");
    }

    @Test
    @DisplayName("a JMH target naming a file part reads only that build's runs, though another build ran the same day")
    void jmhTargetNamingAFilePartReadsOnlyThoseRuns(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("results/jmh"));
        String run = """
                [{"benchmark": "x.PolicyBench.aot", "mode": "sample",
                  "primaryMetric": {"score": 1.0, "scoreUnit": "ns/op", "scorePercentiles": {"50.0": %s}}}]
                """;
        Files.writeString(dir.resolve("results/jmh/2026-12-03-policy-old-1.json"), run.formatted("7000.0"));
        Files.writeString(dir.resolve("results/jmh/2026-12-03-policy-new-1.json"), run.formatted("5000.0"));
        Files.writeString(dir.resolve("results/jmh/2026-12-03-policy-new-2.json"), run.formatted("5400.0"));
        Files.writeString(dir.resolve("targets.json"), """
                {"targets": [
                  {"what": "new build", "issue": 15, "kind": "jmh", "dir": "jmh", "file": "policy-new", "benchmark": "x.PolicyBench.aot",
                   "percentile": "50.0", "unit": "µs", "better": "lower", "target": 5, "bar": 7},
                  {"what": "every build", "issue": 15, "kind": "jmh", "dir": "jmh", "benchmark": "x.PolicyBench.aot",
                   "percentile": "50.0", "unit": "µs", "better": "lower"}
                ]}
                """);

        String table = new BenchmarkSummary(dir).render();

        assertThat(table).contains("| new build | 15 | ≤ 5.00 µs (resolution bar ≤ 7.00 µs) | 5.20 µs (5.00–5.40, 2 runs) |")
                .doesNotContain("[2026-12-03-policy-old-1](results/jmh/2026-12-03-policy-old-1.json), [2026-12-03-policy-new");
        assertThat(table).contains("| every build | 15 | — | 5.40 µs (5.00–7.00, 3 runs) | reference |");
    }

    @Test
    @DisplayName("checked-in JMH results keep their scores and percentiles but not the raw samples")
    void jmhResultsAreCompacted(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("results/jmh"));
        Path f = dir.resolve("results/jmh/2026-12-03-policy-1.json");
        Files.writeString(f, """
                [{"benchmark": "x.PolicyBench.aot", "mode": "sample",
                  "primaryMetric": {"score": 4500.0, "scoreUnit": "ns/op", "scorePercentiles": {"50.0": 4200.0},
                                    "rawData": [[1, 2]], "rawDataHistogram": [[[[4200.0, 3]]]]},
                  "secondaryMetrics": {"gc.alloc.rate": {"score": 1.0, "rawData": [[1.0]]}}}]
                """);
        BenchmarkSummary summary = new BenchmarkSummary(dir);

        assertThat(summary.compactJmhResults()).containsExactly(f);
        String compacted = Files.readString(f);
        assertThat(compacted).doesNotContain("rawData").contains("\"50.0\" : 4200.0").contains("\"score\" : 1.0");
        assertThat(summary.compactJmhResults()).as("a compacted file is left alone").isEmpty();
    }

    @Test
    @DisplayName("a ratio of two sets of result files pairs the newest day's runs in the order they ran and reports the median with spread")
    void fileRatioPairsTheNewestDaysRunsInOrder(@TempDir Path dir) throws Exception {
        Path quotas = Files.createDirectories(dir.resolve("results/quotas"));
        writeRun(quotas, "2026-12-02-admissions-c64-quotas-off.json", "2026-12-02T14:00:00Z", 60);
        writeRun(quotas, "2026-12-02-admissions-c64-quotas-on.json", "2026-12-02T14:10:00Z", 475);
        writeRun(quotas, "2026-12-03-admissions-c64-quotas-off-1.json", "2026-12-03T13:40:00Z", 1000);
        writeRun(quotas, "2026-12-03-admissions-c64-quotas-on-1.json", "2026-12-03T13:42:00Z", 900);
        writeRun(quotas, "2026-12-03-admissions-c64-quotas-on-2.json", "2026-12-03T13:44:00Z", 1300);
        writeRun(quotas, "2026-12-03-admissions-c64-quotas-off-2.json", "2026-12-03T13:46:00Z", 1000);
        Files.writeString(dir.resolve("targets.json"), """
                {"targets": [
                  {"what": "quota ratio", "issue": 11, "kind": "file-ratio", "dir": "quotas", "numerator_file": "quotas-on",
                   "denominator_file": "quotas-off", "value": "sides.sluice.tasks_per_s", "unit": "×", "better": "higher", "target": 0.9}
                ]}
                """);

        String page = new BenchmarkSummary(dir).render();
        assertThat(page).contains("| quota ratio | 11 | ≥ 0.90 × | 1.10 × (0.90–1.30, 2 runs) | **met** | 2026-12-03");
        assertThat(page).contains("[2026-12-03-admissions-c64-quotas-on-1](results/quotas/2026-12-03-admissions-c64-quotas-on-1.json) ÷ "
                + "[2026-12-03-admissions-c64-quotas-off-1](results/quotas/2026-12-03-admissions-c64-quotas-off-1.json)");
    }

    @Test
    @DisplayName("a fairness target is judged by the worst run of the newest day, over every run its select matches")
    void fairnessTakesTheWorstRunOfTheNewestDay(@TempDir Path dir) throws Exception {
        Path results = Files.createDirectories(dir.resolve("results/fairness"));
        writeFairness(results, "2026-12-02-fairness-t2-1.json", "2026-12-02T10:00:00Z", 2, 25.0, 80);
        writeFairness(results, "2026-12-03-fairness-t2-1.json", "2026-12-03T10:00:00Z", 2, 1.5, 30);
        writeFairness(results, "2026-12-03-fairness-t5-1.json", "2026-12-03T10:05:00Z", 5, 3.2, 20);
        writeFairness(results, "2026-12-03-fairness-t2-2.json", "2026-12-03T10:10:00Z", 2, 0.8, 22);
        Files.writeString(dir.resolve("targets.json"), """
                {"targets": [
                  {"what": "gap", "issue": 11, "kind": "fairness", "dir": "fairness", "select": {"scenario": "fairness"},
                   "value": "max_gap_points", "unit": "points", "better": "lower", "target": 5},
                  {"what": "gap of five", "issue": 11, "kind": "fairness", "dir": "fairness", "select": {"scenario": "fairness", "tenants": 5},
                   "value": "max_gap_points", "unit": "points", "better": "lower", "target": 3},
                  {"what": "p90", "issue": 11, "kind": "fairness", "dir": "fairness", "select": {"scenario": "fairness"},
                   "value": "prediction.p90_rel_error_pct", "unit": "%", "better": "lower", "target": 25}
                ]}
                """);

        String table = new BenchmarkSummary(dir).render();

        assertThat(table).as("the worst of 1.5, 3.2 and 0.8; the older day's 25 is not a figure")
                .contains("| gap | 11 | ≤ 5.00 points | worst 3.20 points (0.80–3.20, 3 runs) | **met** | 2026-12-03, `abc1234` |");
        assertThat(table).contains("| gap of five | 11 | ≤ 3.00 points | worst 3.20 points (1 run) | not met |");
        assertThat(table).contains("| p90 | 11 | ≤ 25.0 % | worst 30.0 % (20.0–30.0, 3 runs) | not met |");
    }

    private static void writeFairness(Path dir, String name, String startedAt, int tenants, double gap, double p90) throws Exception {
        Files.writeString(dir.resolve(name), """
                {"scenario": "fairness", "started_at": "%s", "machine": {"git_commit": "abc1234def"}, "config": {"tenants": %d},
                 "max_gap_points": %s, "prediction": {"p90_rel_error_pct": %s}}
                """.formatted(startedAt, tenants, gap, p90));
    }

    @Test
    @DisplayName("a page without the generated block's markers is refused, not overwritten")
    void pageWithoutMarkersIsRefused() {
        assertThatThrownBy(() -> BenchmarkSummary.replaceBlock("# no markers\n", "table"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(BenchmarkSummary.BEGIN);
    }

    private static void writeRun(Path dir, String name, String startedAt, double tasksPerS) throws Exception {
        Path target = dir.getFileName().toString().equals("quotas") ? dir : dir.resolve("results/hot-path");
        Files.writeString(target.resolve(name), """
                {"scenario": "admissions", "started_at": "%s", "machine": {"git_commit": "abc1234def"},
                 "config": {"clients": 64}, "sides": {"sluice": {"tasks_per_s": %s}}}
                """.formatted(startedAt, tasksPerS));
    }
}
