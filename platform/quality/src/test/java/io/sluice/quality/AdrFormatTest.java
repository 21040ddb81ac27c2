package io.sluice.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Architecture decision records in {@code docs/adr} share one shape, so a reader finds the context, the
 * decision, the alternatives with the reason each was rejected, and the consequences in every one of them.
 */
@DisplayName("docs: ADR format")
class AdrFormatTest {
    static final Pattern FILE_NAME = Pattern.compile("^(\\d{4})-[a-z0-9]+(?:-[a-z0-9]+)*\\.md$");
    static final List<String> SECTIONS = List.of("Context", "Decision", "Alternatives", "Consequences");
    private static final Pattern HEADING = Pattern.compile("^# (\\d{4})(?=\\s)\\s*(?:[—–:-]\\s*)?(\\S.*)$");
    private static final Pattern STATUS = Pattern.compile("(?m)^(?:\\*\\*)?Status(?:\\*\\*)?:\\s*\\S|^## Status\\s*$");
    private static final Pattern ITEM = Pattern.compile("^(?:[-*+]|\\d+\\.)\\s");
    private static final Pattern REJECTED_BECAUSE = Pattern.compile("(?i)\\brejected\\s+because\\b");

    static Stream<String> adrs() throws IOException {
        try (Stream<Path> files = Files.list(adrDir())) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".md") && !n.equals("README.md"))
                    .sorted()
                    .toList()
                    .stream();
        }
    }

    private static Path adrDir() {
        return RepoRoot.get().resolve("docs/adr");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("adrs")
    void followsTheFormat(String file) throws IOException {
        assertThat(problems(file, Files.readString(adrDir().resolve(file)))).as("docs/adr/%s", file).isEmpty();
    }

    @Test
    @DisplayName("docs: ADR numbers are unique and docs/adr/README.md links every ADR")
    void numbersAreUniqueAndIndexed() throws IOException {
        Map<String, String> byNumber = new LinkedHashMap<>();
        List<String> duplicates = new ArrayList<>();
        List<String> files = adrs().toList();
        for (String f : files) {
            Matcher m = FILE_NAME.matcher(f);
            if (m.matches() && byNumber.putIfAbsent(m.group(1), f) != null) {
                duplicates.add(f + " reuses " + m.group(1) + " of " + byNumber.get(m.group(1)));
            }
        }
        assertThat(duplicates).isEmpty();
        List<String> indexed = MarkdownLinks.extract(Files.readString(adrDir().resolve("README.md"))).stream()
                .map(MarkdownLinks.Link::path)
                .toList();
        assertThat(indexed).as("links in docs/adr/README.md").containsAll(files);
    }

    @Test
    @DisplayName("docs: the ADR check finds a wrong number, a missing section and an alternative without a reason")
    void checkerFindsWhatIsMissing() {
        String good = """
                # 0042 Use a thing

                Status: accepted

                ## Context
                Why.

                ## Decision
                What.

                ## Alternatives
                - **Other thing**: rejected because it is slower.
                - **Nothing** — rejected
                  because the need is real.

                ## Consequences
                What follows.
                """;
        assertThat(problems("0042-use-a-thing.md", good)).isEmpty();

        String bad = good.replace("# 0042", "# 0043").replace("## Consequences\nWhat follows.\n", "")
                .replace("rejected because it is slower", "too slow");
        assertThat(problems("0042-use-a-thing.md", bad)).containsExactly(
                "heading '# 0043 Use a thing' does not carry the file's number 0042",
                "no '## Consequences' section (or it is empty)",
                "alternative '- **Other thing**: too slow.' does not say why it was \"rejected because …\"");
        assertThat(problems("42-thing.md", good)).containsExactly("file name is not NNNN-lower-case-title.md");
    }

    /** Everything wrong with one ADR, in reading order; empty when it follows the format. */
    static List<String> problems(String fileName, String text) {
        List<String> out = new ArrayList<>();
        Matcher name = FILE_NAME.matcher(fileName);
        if (!name.matches()) {
            out.add("file name is not NNNN-lower-case-title.md");
            return out;
        }
        List<String> lines = List.of(text.split("\n", -1));
        String first = lines.stream().filter(l -> !l.isBlank()).findFirst().orElse("").strip();
        Matcher heading = HEADING.matcher(first);
        if (!heading.matches()) {
            out.add("first line '" + first + "' is not '# " + name.group(1) + " Title'");
        } else if (!heading.group(1).equals(name.group(1))) {
            out.add("heading '" + first + "' does not carry the file's number " + name.group(1));
        }
        if (!STATUS.matcher(text).find()) {
            out.add("no 'Status:' line");
        }
        Map<String, List<String>> sections = sections(lines);
        for (String s : SECTIONS) {
            List<String> body = sections.get(s);
            if (body == null || body.stream().allMatch(String::isBlank)) {
                out.add("no '## " + s + "' section (or it is empty)");
            }
        }
        List<String> alternatives = sections.getOrDefault("Alternatives", List.of());
        List<String> items = items(alternatives);
        if (items.isEmpty() && !alternatives.isEmpty() && !REJECTED_BECAUSE.matcher(String.join(" ", alternatives)).find()) {
            out.add("the Alternatives section does not say why they were \"rejected because …\"");
        }
        for (String item : items) {
            if (!REJECTED_BECAUSE.matcher(item).find()) {
                String shown = item.length() > 60 ? item.substring(0, 60) + "…" : item;
                out.add("alternative '" + shown + "' does not say why it was \"rejected because …\"");
            }
        }
        return out;
    }

    /** Level-2 sections by their leading word ("Alternatives considered" counts as Alternatives). */
    private static Map<String, List<String>> sections(List<String> lines) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        List<String> current = null;
        for (String line : lines) {
            if (line.startsWith("## ")) {
                String title = line.substring(3).strip();
                String key = SECTIONS.stream()
                        .filter(s -> title.equalsIgnoreCase(s) || title.regionMatches(true, 0, s + " ", 0, s.length() + 1))
                        .findFirst()
                        .orElse(title);
                current = new ArrayList<>();
                out.putIfAbsent(key, current);
            } else if (line.startsWith("# ")) {
                current = null;
            } else if (current != null) {
                current.add(line);
            }
        }
        return out;
    }

    /** Top-level list items of a section, each with its continuation lines joined by spaces. */
    private static List<String> items(List<String> body) {
        List<String> out = new ArrayList<>();
        StringBuilder item = null;
        for (String line : body) {
            if (ITEM.matcher(line).find()) {
                if (item != null) {
                    out.add(item.toString().strip());
                }
                item = new StringBuilder(line.strip());
            } else if (item != null && !line.isBlank() && Character.isWhitespace(line.charAt(0))) {
                item.append(' ').append(line.strip());
            } else if (item != null) {
                out.add(item.toString().strip());
                item = null;
            }
        }
        if (item != null) {
            out.add(item.toString().strip());
        }
        return out;
    }
}
