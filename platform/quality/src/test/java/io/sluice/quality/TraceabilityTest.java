package io.sluice.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Keeps the requirement catalogue and the tests honest with each other. The committed {@code docs/traceability.md}
 * must be what the tests say now, and every requirement no test names must be listed, with the issue that will
 * cover it, in {@code docs/spec/open-requirements.md}.
 *
 * <p>To regenerate the report after changing tests: {@code mvn -B -pl platform/quality test -Dtraceability.write=true}.
 */
@DisplayName("SPEC traceability")
class TraceabilityTest {
    static final String SPEC = "docs/spec/SPEC.md";
    static final String REPORT = "docs/traceability.md";
    /** The shared original of the catalogue, next to the checkout on a workstation; absent on a CI clone. */
    static final String SHARED_SPEC = "../shared/docs/SPEC.md";
    static final String OPEN = "docs/spec/open-requirements.md";
    /** A row of the open list: {@code | ID | issue | what is missing |}. */
    private static final Pattern OPEN_ROW = Pattern.compile("^\\| ([A-Z]+-\\d+) \\| (\\d+) \\| (.+) \\|$");

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
    @DisplayName("traceability: the report renders deterministically and has a row for every requirement")
    void reportRenders() {
        assertThat(traceability.tests()).as("test methods found under %s", Traceability.SCANNED_ROOTS).isNotEmpty();
        String report = traceability.render();
        String again = new Traceability(spec, collectQuietly()).render();
        assertThat(again).as("a second scan renders the same bytes").isEqualTo(report);
        List<String> lines = Arrays.asList(report.split("\n"));
        for (SpecCatalogue.Requirement r : spec.requirements()) {
            assertThat(lines).as("row for %s", r.id()).anyMatch(l -> l.startsWith("| " + r.id() + " |"));
        }
        assertThat(report).contains("of " + spec.requirements().size() + "** requirements");
    }

    @Test
    @DisplayName("traceability: the committed docs/traceability.md is what the tests say now")
    void committedReportIsCurrent() throws IOException {
        Path file = root.resolve(REPORT);
        byte[] bytes = traceability.render().getBytes(StandardCharsets.UTF_8);
        if (Boolean.getBoolean("traceability.write")) {
            Files.write(file, bytes);
        }
        assertThat(Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "")
                .as("%s is stale: regenerate it with mvn -B -pl platform/quality test -Dtraceability.write=true", REPORT)
                .isEqualTo(new String(bytes, StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("traceability: every requirement no test names is listed as open with its issue, and only those")
    void uncoveredRequirementsAreListedAsOpen() throws IOException {
        Map<String, String> open = openRequirements(Files.readAllLines(root.resolve(OPEN), StandardCharsets.UTF_8));
        Set<String> defined = new TreeSet<>();
        spec.requirements().forEach(r -> defined.add(r.id()));
        assertThat(open.keySet()).as("IDs in %s that %s does not define", OPEN, SPEC).isSubsetOf(defined);
        Set<String> uncovered = new TreeSet<>(traceability.uncovered());
        Set<String> unlisted = new TreeSet<>(uncovered);
        unlisted.removeAll(open.keySet());
        assertThat(unlisted).as("requirements proven by no test and not listed in %s (add a row naming the issue)", OPEN).isEmpty();
        Set<String> nowCovered = new TreeSet<>(open.keySet());
        nowCovered.removeAll(uncovered);
        assertThat(nowCovered).as("requirements listed in %s that a test names now (delete their rows)", OPEN).isEmpty();
    }

    @Test
    @DisplayName("traceability: the open list's rows are read as ID, issue and what is missing")
    void openListParses() {
        Map<String, String> open = openRequirements(List.of("| ID | issue | what is missing |", "|---|---|---|",
                "| ADM-2 | 10 | stage tests |", "| REL-4 | 14 | the OIDC outage |", "not a row"));
        assertThat(open).containsExactly(Map.entry("ADM-2", "10"), Map.entry("REL-4", "14"));
        assertThatThrownBy(() -> openRequirements(List.of("| ADM-2 | 10 | a |", "| ADM-2 | 11 | b |")))
                .hasMessageContaining("ADM-2 is listed twice");
    }

    /** ID to issue number, in file order. */
    static Map<String, String> openRequirements(List<String> lines) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : lines) {
            Matcher m = OPEN_ROW.matcher(line.strip());
            if (m.matches() && out.put(m.group(1), m.group(2)) != null) {
                throw new IllegalStateException(m.group(1) + " is listed twice in " + OPEN);
            }
        }
        return out;
    }

    private static List<Traceability.TestFile> collectQuietly() {
        try {
            return Traceability.collect(root, spec.prefixes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
