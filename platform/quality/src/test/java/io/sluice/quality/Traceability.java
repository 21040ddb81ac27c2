package io.sluice.quality;

import io.sluice.quality.SpecCatalogue.Requirement;
import io.sluice.quality.SpecCatalogue.Section;
import io.sluice.quality.TestSourceScanner.Member;
import io.sluice.quality.TestSourceScanner.Type;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Which tests name which SPEC requirements: collects the test sources of the repository and renders
 * {@code docs/traceability.md}. Rendering is a pure function of the SPEC and the sources (sorted, no
 * timestamps), so the committed report changes only when coverage does.
 */
final class Traceability {
    /** Directories under the root whose {@code src/test} Java sources are scanned. */
    static final List<String> SCANNED_ROOTS = List.of("platform", "policy-sdk", "policy-examples", "functions");

    private static final Set<String> SKIPPED_DIRECTORIES = Set.of("target", "node_modules", ".git");
    static final int EXCERPT_CHARS = 80;

    /** One scanned file; {@code module} is its module path without a leading {@code platform/}. */
    record TestFile(String relative, String module, TestSourceScanner.Source source) {}

    /** One test method (or ArchUnit rule field) and the IDs it names itself or through its classes. */
    record TestCase(TestFile file, Type owner, String name, Set<String> ownIds, Set<String> classIds) {
        String ownerLabel() {
            return file.module() + "/" + owner.name();
        }

        boolean names(String id) {
            return ownIds.contains(id) || classIds.contains(id);
        }
    }

    private final SpecCatalogue spec;
    private final List<TestFile> files;
    private final List<TestCase> tests = new ArrayList<>();

    Traceability(SpecCatalogue spec, List<TestFile> files) {
        this.spec = spec;
        this.files = List.copyOf(files);
        Set<String> prefixes = spec.prefixes();
        for (TestFile f : this.files) {
            for (Member m : f.source().tests()) {
                tests.add(new TestCase(f, m.owner(), m.name(), TestSourceScanner.namedBy(m.annotations(), prefixes),
                        TestSourceScanner.namedBy(m.owner(), prefixes)));
            }
        }
    }

    /** Reads every {@code src/test/**}{@code /*.java} under {@link #SCANNED_ROOTS}, sorted by path. */
    static List<TestFile> collect(Path root, Set<String> prefixes) throws IOException {
        List<Path> paths = new ArrayList<>();
        for (String dir : SCANNED_ROOTS) {
            Path start = root.resolve(dir);
            if (!Files.isDirectory(start)) {
                continue;
            }
            Files.walkFileTree(start, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    return SKIPPED_DIRECTORIES.contains(d.getFileName().toString())
                            ? FileVisitResult.SKIP_SUBTREE
                            : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    String rel = RepoRoot.relative(root, f);
                    if (attrs.isRegularFile() && rel.endsWith(".java") && rel.contains("/src/test/")) {
                        paths.add(f);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        List<TestFile> out = new ArrayList<>();
        for (Path p : paths) {
            String rel = RepoRoot.relative(root, p);
            String module = rel.substring(0, rel.indexOf("/src/test/")).replaceFirst("^platform/", "");
            out.add(new TestFile(rel, module, TestSourceScanner.scan(Files.readString(p), prefixes)));
        }
        out.sort(Comparator.comparing(TestFile::relative));
        return out;
    }

    List<TestFile> files() {
        return files;
    }

    List<TestCase> tests() {
        return List.copyOf(tests);
    }

    /** Number of test cases naming each ID, for every ID of the SPEC (0 when uncovered). */
    Map<String, Integer> counts() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Requirement r : spec.requirements()) {
            out.put(r.id(), (int) tests.stream().filter(t -> t.names(r.id())).count());
        }
        return out;
    }

    List<String> uncovered() {
        return counts().entrySet().stream().filter(e -> e.getValue() == 0).map(Map.Entry::getKey).toList();
    }

    /** The Markdown report. */
    String render() {
        Map<String, Integer> counts = counts();
        int total = counts.size();
        int covered = (int) counts.values().stream().filter(c -> c > 0).count();
        long naming = tests.stream().filter(t -> !t.ownIds().isEmpty() || !t.classIds().isEmpty()).count();
        StringBuilder md = new StringBuilder();
        md.append("# SPEC traceability\n\n");
        md.append("Which tests prove which requirement of [the SPEC](spec/SPEC.md). Generated by `TraceabilityTest` in\n")
                .append("`platform/quality`, which fails the build when this file is stale. Do not edit by hand; regenerate it\n")
                .append("with `mvn -B -pl platform/quality test -Dtraceability.write=true`.\n\n");
        md.append("A test names a requirement when the ID appears in its `@DisplayName`, `@Tag`, or the `name` of its\n")
                .append("`@ParameterizedTest`/`@RepeatedTest`, on the method or on its class (then every test of the class\n")
                .append("counts). IDs elsewhere in test sources (comments, other strings) are checked for typos but do not\n")
                .append("count. An ID that the SPEC does not define fails the build, and so does an uncovered requirement\n")
                .append("that [the open list](spec/open-requirements.md) does not name with the issue that will cover it.\n\n");

        md.append("## Summary\n\n");
        md.append("Covered: **").append(covered).append(" of ").append(total).append("** requirements. ")
                .append("Test methods: ").append(tests.size()).append(", of which ").append(naming)
                .append(" name at least one requirement.\n\n");
        md.append("| section | covered | requirements |\n|---|---:|---:|\n");
        for (Section s : spec.sections()) {
            List<Requirement> rs = spec.requirementsOf(s);
            if (rs.isEmpty()) {
                continue;
            }
            long c = rs.stream().filter(r -> counts.get(r.id()) > 0).count();
            md.append("| ").append(cell(s.title())).append(" | ").append(c).append(" | ").append(rs.size()).append(" |\n");
        }
        md.append('\n');
        List<String> uncovered = uncovered();
        md.append("Uncovered (").append(uncovered.size()).append("): ");
        md.append(uncovered.isEmpty() ? "none" : uncovered.stream().map(id -> "`" + id + "`").collect(Collectors.joining(", ")));
        md.append(".\n");

        for (Section s : spec.sections()) {
            List<Requirement> rs = spec.requirementsOf(s);
            if (rs.isEmpty()) {
                continue;
            }
            md.append("\n## ").append(s.title()).append("\n\n");
            md.append("| ID | requirement | tests | count |\n|---|---|---|---:|\n");
            for (Requirement r : rs) {
                md.append("| ").append(r.id()).append(" | ").append(cell(excerpt(r.text()))).append(" | ")
                        .append(String.join("<br>", entries(r.id()))).append(" | ").append(counts.get(r.id())).append(" |\n");
            }
        }

        md.append("\n## Test classes\n\n");
        md.append("Every class with tests, the requirements it names and how many of its tests name one.\n\n");
        md.append("| class | tests | naming an ID | requirements |\n|---|---:|---:|---|\n");
        Map<String, List<TestCase>> byOwner = new TreeMap<>();
        for (TestCase t : tests) {
            byOwner.computeIfAbsent(t.ownerLabel(), k -> new ArrayList<>()).add(t);
        }
        for (Map.Entry<String, List<TestCase>> e : byOwner.entrySet()) {
            List<TestCase> ts = e.getValue();
            Set<String> ids = new TreeSet<>(Comparator.comparingInt(spec::order).thenComparing(Comparator.naturalOrder()));
            ts.forEach(t -> {
                ids.addAll(t.ownIds());
                ids.addAll(t.classIds());
            });
            long n = ts.stream().filter(t -> !t.ownIds().isEmpty() || !t.classIds().isEmpty()).count();
            md.append("| [").append(e.getKey()).append("](../").append(ts.get(0).file().relative()).append(") | ")
                    .append(ts.size()).append(" | ").append(n).append(" | ")
                    .append(ids.isEmpty() ? "—" : String.join(", ", ids)).append(" |\n");
        }
        return md.toString();
    }

    /** The tests naming {@code id}: whole classes (when the class names it) first, then single methods. */
    private List<String> entries(String id) {
        Map<String, Integer> classes = new TreeMap<>();
        Set<String> methods = new TreeSet<>();
        for (TestCase t : tests) {
            if (t.classIds().contains(id)) {
                classes.merge(t.ownerLabel(), 1, Integer::sum);
            } else if (t.ownIds().contains(id)) {
                methods.add("`" + t.ownerLabel() + "#" + t.name() + "`");
            }
        }
        List<String> out = new ArrayList<>();
        classes.forEach((label, n) -> out.add("`" + label + "` (class, " + n + (n == 1 ? " test)" : " tests)")));
        out.addAll(methods);
        return out;
    }

    /**
     * The first words of a requirement, at most {@link #EXCERPT_CHARS} characters, cut at a word boundary and
     * never inside a code span (an unbalanced backtick would swallow the rest of the table row).
     */
    static String excerpt(String text) {
        String t = text.strip().replaceAll("\\s+", " ");
        if (t.length() <= EXCERPT_CHARS) {
            return t;
        }
        String cut = t.substring(0, EXCERPT_CHARS);
        int space = cut.lastIndexOf(' ');
        if (space > EXCERPT_CHARS / 2) {
            cut = cut.substring(0, space);
        }
        if (cut.chars().filter(c -> c == '`').count() % 2 == 1) {
            cut = cut.substring(0, cut.lastIndexOf('`'));
        }
        return cut.stripTrailing().replaceAll("[,;:(]+$", "") + " …";
    }

    private static String cell(String s) {
        return s.replace("|", "\\|");
    }

    /** Every mention of an ID the SPEC does not define, as "file:line ID", sorted. */
    List<String> undefinedMentions() {
        Set<String> out = new LinkedHashSet<>();
        for (TestFile f : files) {
            f.source().mentions().stream()
                    .filter(m -> !spec.defines(m.id()))
                    .forEach(m -> out.add(f.relative() + ":" + m.line() + " " + m.id()));
        }
        return List.copyOf(out);
    }
}
