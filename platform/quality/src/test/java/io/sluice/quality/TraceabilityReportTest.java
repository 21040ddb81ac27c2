package io.sluice.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("traceability: report rendering")
class TraceabilityReportTest {
    private final SpecCatalogue spec = SpecCatalogue.parse(Fixtures.read("SPEC-sample.md"));
    private final Traceability traceability = new Traceability(spec, List.of(new Traceability.TestFile(
            "platform/sample/src/test/java/example/SampleTest.java", "sample",
            TestSourceScanner.scan(Fixtures.read("SampleTest.java.txt"), spec.prefixes()))));

    @Test
    void countsClassLevelNamesForEveryTestOfTheClass() {
        assertThat(traceability.counts()).containsEntry("ZZZ-1", 7).containsEntry("ZZZ-2", 1).containsEntry("ZZZ-3", 1)
                .containsEntry("YY-1", 0);
        assertThat(traceability.uncovered()).containsExactly("YY-1", "QQ-1");
    }

    @Test
    void rendersOneRowPerRequirementWithItsTests() {
        String md = traceability.render();
        assertThat(md).contains("| ZZZ-1 | The first requirement, whose text continues on an indented line. | "
                + "`sample/SampleTest` (class, 6 tests)<br>`sample/SampleTest.Inner` (class, 1 test) | 7 |");
        assertThat(md).contains("| ZZZ-2 | Second. | `sample/SampleTest#methodNamed` | 1 |");
        assertThat(md).as("pipes escaped inside cells").contains("| YY-1 | A requirement with a `code\\|span` and a pipe. |  | 0 |");
        assertThat(md).contains("Covered: **3 of 5** requirements. Test methods: 7, of which 7 name at least one requirement.");
        assertThat(md).contains("Uncovered (2): `YY-1`, `QQ-1`.");
        assertThat(md).contains("| [sample/SampleTest](../platform/sample/src/test/java/example/SampleTest.java) | 6 | 6 | "
                + "ZZZ-1, ZZZ-2, ZZZ-3, ZZZ-4, ZZZ-5 |");
    }

    @Test
    void flagsMentionsOfUndefinedIds() {
        assertThat(traceability.undefinedMentions())
                .contains("platform/sample/src/test/java/example/SampleTest.java:5 ZZZ-7")
                .noneMatch(m -> m.endsWith(" ZZZ-1") || m.endsWith(" ZZZ-2") || m.endsWith(" ZZZ-3"));
    }

    @Test
    void excerptsStopAtAWordAndNeverInsideACodeSpan() {
        String text = "`POST /v1/tasks` accepts a task (task_id uuid, session_id uuid, workload `completion|embedding|rerank`,"
                + " model_ref)";
        String excerpt = Traceability.excerpt(text);
        assertThat(excerpt).endsWith(" …").startsWith("`POST /v1/tasks` accepts a task");
        assertThat(excerpt.length()).isLessThanOrEqualTo(Traceability.EXCERPT_CHARS + 2);
        assertThat(excerpt.chars().filter(c -> c == '`').count() % 2).isZero();
        assertThat(Traceability.excerpt("Short.")).isEqualTo("Short.");
    }
}
