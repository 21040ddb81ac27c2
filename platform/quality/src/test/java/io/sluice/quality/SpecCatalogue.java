package io.sluice.quality;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The requirement catalogue parsed from a SPEC file: {@code ## } headings open sections, and a requirement is
 * a list item {@code - ID text} whose indented continuation lines belong to it. Immutable once parsed.
 */
final class SpecCatalogue {
    /** What a SPEC ID looks like anywhere in text; only the catalogue's own prefixes count as IDs. */
    static final Pattern ID = Pattern.compile("\\b([A-Z]{2,5})-([0-9]+)\\b");

    private static final Pattern DEFINITION = Pattern.compile("^- ([A-Z]{2,5}-[0-9]+)\\s+(.*)$");
    private static final Pattern SECTION_PREFIXES = Pattern.compile("\\(([A-Z]{2,5}(?:,\\s*[A-Z]{2,5})*)\\)");

    record Requirement(String id, String text, Section section) {
        String prefix() {
            return id.substring(0, id.indexOf('-'));
        }
    }

    record Section(String title, List<String> declaredPrefixes) {}

    /** A definition the parser could not accept, with its 1-based line. */
    record Problem(int line, String message) {}

    private final Map<String, Requirement> byId;
    private final Map<String, Integer> position = new java.util.HashMap<>();
    private final List<Section> sections;
    private final List<Problem> problems;

    private SpecCatalogue(Map<String, Requirement> byId, List<Section> sections, List<Problem> problems) {
        this.byId = Collections.unmodifiableMap(byId);
        this.sections = List.copyOf(sections);
        this.problems = List.copyOf(problems);
        byId.keySet().forEach(id -> position.put(id, position.size()));
    }

    static SpecCatalogue read(Path file) throws IOException {
        return parse(Files.readString(file));
    }

    static SpecCatalogue parse(String markdown) {
        Map<String, Requirement> byId = new LinkedHashMap<>();
        List<Section> sections = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        Section current = null;
        String id = null;
        int idLine = 0;
        StringBuilder text = new StringBuilder();
        String[] lines = markdown.split("\n", -1);
        for (int i = 0; i <= lines.length; i++) {
            String line = i < lines.length ? lines[i].stripTrailing() : "";
            boolean continuation = id != null && !line.isBlank() && Character.isWhitespace(line.charAt(0));
            if (continuation) {
                text.append(' ').append(line.strip());
                continue;
            }
            if (id != null) {
                Requirement previous = byId.putIfAbsent(id, new Requirement(id, text.toString(), current));
                if (previous != null) {
                    problems.add(new Problem(idLine, id + " is defined twice"));
                }
                id = null;
            }
            if (i == lines.length) {
                break;
            }
            if (line.startsWith("## ")) {
                String title = line.substring(3).strip();
                Matcher m = SECTION_PREFIXES.matcher(title);
                List<String> prefixes = m.find() ? List.of(m.group(1).split(",\\s*")) : List.of();
                current = new Section(title, prefixes);
                sections.add(current);
                continue;
            }
            Matcher def = DEFINITION.matcher(line);
            if (def.matches()) {
                if (current == null) {
                    problems.add(new Problem(i + 1, def.group(1) + " is defined outside any section"));
                }
                id = def.group(1);
                idLine = i + 1;
                text.setLength(0);
                text.append(def.group(2).strip());
            }
        }
        return new SpecCatalogue(byId, sections, problems);
    }

    /** Requirements in document order. */
    List<Requirement> requirements() {
        return List.copyOf(byId.values());
    }

    List<Section> sections() {
        return sections;
    }

    List<Requirement> requirementsOf(Section section) {
        return byId.values().stream().filter(r -> r.section() == section).toList();
    }

    Optional<Requirement> find(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    boolean defines(String id) {
        return byId.containsKey(id);
    }

    /** Prefixes of the defined IDs, in document order: the only prefixes that make a token an ID. */
    Set<String> prefixes() {
        Set<String> out = new LinkedHashSet<>();
        byId.values().forEach(r -> out.add(r.prefix()));
        return out;
    }

    /** Position of an ID in the document, for sorting; undefined IDs sort last. */
    int order(String id) {
        return position.getOrDefault(id, Integer.MAX_VALUE);
    }

    /** Duplicates, definitions outside sections, and IDs whose prefix their section heading does not list. */
    List<Problem> problems() {
        List<Problem> out = new ArrayList<>(problems);
        for (Requirement r : byId.values()) {
            if (r.section() != null && !r.section().declaredPrefixes().contains(r.prefix())) {
                out.add(new Problem(0, r.id() + " sits in section '" + r.section().title() + "', whose heading lists "
                        + r.section().declaredPrefixes()));
            }
        }
        return out;
    }
}
