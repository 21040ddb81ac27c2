package io.sluice.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.benchmarks.load.ReportTable.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTableTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String STREAMS = """
            {"scenario":"streams","started_at":"2026-12-02T11:00:00Z",
             "machine":{"git_commit":"0e79a7e0000","app_source_commit":"198f7c5c77e7","load_average_at_start":"2.10 1.50 1.00",
                        "load_average_at_end":"3.40 2.00 1.20"},
             "config":{"clients":1000,"tokens_per_s":5,"max_tokens":64},
             "sides":{"direct":{"tasks_per_s":78.1,"ttft":{"p50_ms":203.0,"p99_ms":224.5},"inter_token":{"p99_ms":201.2},"errors":{}},
                      "sluice":{"tasks_per_s":70.2,"ttft":{"p50_ms":1699.0,"p99_ms":6305.0},"inter_token":{"p99_ms":260.0},
                                "submit":{"p50_ms":1400.0,"p99_ms":4400.0},"errors":{"POST 429 ADMISSION_REJECT":3}}},
             "added":{"ttft_p50_ms":1496.0,"ttft_p99_ms":6080.5,"inter_token_p99_ms":58.8},
             "app":{"cpu_ms_per_task":16.3,"cpu_us_per_token":254.7,"heap_after_gc_mib":227.4,"threads_max":45}}
            """;
    private static final String ADMISSIONS = """
            {"scenario":"admissions","started_at":"2026-12-02T11:30:00Z","machine":{"git_commit":"198f7c5c77e7"},
             "config":{"clients":64},
             "sides":{"sluice":{"tasks_per_s":352.25,"submit":{"p50_ms":20.1,"p90_ms":40.0,"p99_ms":70.02},"errors":{}}},
             "app":{"cpu_ms_per_task":4.2,"heap_after_gc_mib":80.0,"threads_max":50},
             "end_check":{"ended":50,"not_ended":0}}
            """;

    private static List<Result> results() throws Exception {
        return List.of(
                new Result("2026-12-02-streams-c1000-t5-m64-1.json", JSON.readTree(STREAMS)),
                new Result("2026-12-02-admissions-c64-1.json", JSON.readTree(ADMISSIONS)));
    }

    @Test
    void rendersOneRowPerRunInTheTableOfItsScenario() throws Exception {
        String md = ReportTable.render(results(), "results/hot-path/");
        assertThat(md).contains("| [2026-12-02-streams-c1000-t5-m64-1](results/hot-path/2026-12-02-streams-c1000-t5-m64-1.json)"
                + " | `198f7c5` | 1000, 5, 64 | 203 / 225 | 1699 / 6305 | 1496 / 6081 | 201 / 260 (58.8) | 78.1 / 70.2"
                + " | 1400 / 4400 | 16.3, 255 | 227 | 45 | 0 / 3 × POST 429 ADMISSION_REJECT | 2.10 → 3.40 |");
        assertThat(md).contains("| [2026-12-02-admissions-c64-1](results/hot-path/2026-12-02-admissions-c64-1.json)"
                + " | `198f7c5` | 64 | 352 | 20.1 / 40.0 / 70.0 | 4.20 | 80.0 | 50 | 0 | 50 / 0 | – → – |");
    }

    @Test
    void replacesOnlyTheGeneratedBlock() {
        String doc = "# Title\nintro\n" + ReportTable.BEGIN + "\nold table\n" + ReportTable.END + "\nnotes\n";
        String out = ReportTable.replaceBlock(doc, "new table\n");
        assertThat(out).isEqualTo("# Title\nintro\n" + ReportTable.BEGIN + "\nnew table\n" + ReportTable.END + "\nnotes\n");
        assertThat(ReportTable.replaceBlock(out, "new table\n")).isEqualTo(out);
    }

    @Test
    void refusesADocumentWithoutMarkers() {
        assertThatThrownBy(() -> ReportTable.replaceBlock("# no markers\n", "x")).hasMessageStartingWith("the document has no generated block");
    }

    @Test
    void loadsResultFilesInStartOrderAndRewritesTheDocument(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("b.json"), STREAMS);
        Files.writeString(dir.resolve("a.json"), ADMISSIONS);
        Files.writeString(dir.resolve("notes.txt"), "ignored");
        List<Result> loaded = ReportTable.load(dir);
        assertThat(loaded).extracting(Result::fileName).containsExactly("b.json", "a.json");
        Path doc = dir.resolve("hot-path.md");
        Files.writeString(doc, "x\n" + ReportTable.BEGIN + "\n" + ReportTable.END + "\n");
        ReportTable.rewrite(doc, loaded, "r/");
        assertThat(Files.readString(doc)).contains("[b](r/b.json)").contains("[a](r/a.json)");
    }

    @Test
    void missingValuesShowAsADash() throws Exception {
        assertThat(ReportTable.num(JSON.readTree("null"))).isEqualTo("–");
        assertThat(ReportTable.num(JSON.readTree("{}").path("x"))).isEqualTo("–");
        assertThat(ReportTable.num(JSON.readTree("0.1234"))).isEqualTo("0.12");
    }
}
