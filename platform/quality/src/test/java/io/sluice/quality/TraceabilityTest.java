package io.sluice.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Keeps the requirement catalogue and the tests honest with each other, and writes {@code docs/traceability.md}.
 * Uncovered requirements are reported, not failed: later work covers them.
 */
@DisplayName("SPEC traceability")
class TraceabilityTest {
    static final String SPEC = "docs/spec/SPEC.md";
    static final String REPORT = "docs/traceability.md";
    /** The shared original of the catalogue, next to the checkout on a workstation; absent on a CI clone. */
    static final String SHARED_SPEC = "../shared/docs/SPEC.md";

    private static Path root;
    private static SpecCatalogue spec;
    private static Traceability traceability;

    @BeforeAll
    static void scan() throws IOException {
        root = RepoRoot.get();
        spec = SpecCatalogue.read(root.resolve(SPEC));
        traceability = new Traceability(spec, Traceability.collect(root, spec.prefixes()));
    }

    @Test
    @DisplayName("traceability: docs/spec/SPEC.md parses into sections, each ID defined once under its prefix")
    void specParses() {
        assertThat(spec.problems()).isEmpty();
        assertThat(spec.prefixes()).containsExactly("ADM", "SSE", "SES", "SCH", "POOL", "CAT", "LIFE", "POL", "SEC", "OBS",
                "CFG", "DET", "FN", "PERF", "REL");
        assertThat(spec.requirements()).allSatisfy(r -> assertThat(r.text()).as(r.id()).isNotBlank());
    }

    @Test
    @DisplayName("traceability: every SPEC ID named in a test source is defined in docs/spec/SPEC.md (typo guard)")
    void everyNamedIdIsDefined() {
        assertThat(traceability.undefinedMentions())
                .as("IDs in test sources that %s does not define (file:line ID)", SPEC)
                .isEmpty();
    }

    @Test
    @DisplayName("traceability: docs/spec/SPEC.md is the same as ../shared/docs/SPEC.md where that sibling exists")
    void specCopyIsCurrent() throws IOException {
        Path shared = root.resolve(SHARED_SPEC).normalize();
        assumeTrue(Files.isRegularFile(shared), "no " + shared + " next to the checkout (clean clone): nothing to compare");
        assertThat(Files.readAllBytes(root.resolve(SPEC)))
                .as("%s is stale: copy %s over it", SPEC, shared)
                .isEqualTo(Files.readAllBytes(shared));
    }

    @Test
    @DisplayName("traceability: docs/traceability.md is regenerated, deterministically, listing every requirement")
    void writesReport() throws IOException {
        assertThat(traceability.tests()).as("test methods found under %s", Traceability.SCANNED_ROOTS).isNotEmpty();
        String report = traceability.render();
        String again = new Traceability(spec, Traceability.collect(root, spec.prefixes())).render();
        assertThat(again).as("a second scan renders the same bytes").isEqualTo(report);
        List<String> lines = Arrays.asList(report.split("\n"));
        for (SpecCatalogue.Requirement r : spec.requirements()) {
            assertThat(lines).as("row for %s", r.id()).anyMatch(l -> l.startsWith("| " + r.id() + " |"));
        }
        assertThat(report).contains("of " + spec.requirements().size() + "** requirements");

        Path file = root.resolve(REPORT);
        byte[] bytes = report.getBytes(StandardCharsets.UTF_8);
        // only rewrite on change, so an unchanged report keeps its timestamp and build tools stay quiet
        if (!Files.exists(file) || !Arrays.equals(Files.readAllBytes(file), bytes)) {
            Files.write(file, bytes);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
    }
}
