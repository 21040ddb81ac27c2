package io.sluice.quality;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * Reads one Java test source without compiling it: which test methods it declares, in which (nested) classes,
 * and which SPEC IDs their annotations name. A small lexer skips comments and string contents, so braces or
 * keywords inside them never confuse the structure; it is not a full Java parser and does not need to be,
 * because only declarations carrying annotations matter here.
 *
 * <p>An ID counts as <em>named</em> by a test when it appears in the text of {@code @DisplayName} (or jqwik's
 * {@code @Label}, its display name), {@code @Tag}/{@code @Tags}, or the {@code name} of {@code @ParameterizedTest}, {@code @RepeatedTest} and
 * similar, on the test method or on an enclosing class. Every other occurrence in the file (comments, other
 * strings) is reported as a plain mention, which the typo guard checks but coverage does not count.
 */
final class TestSourceScanner {
    /** Annotations that make a method (or, for {@code ArchTest}, a field) a test. */
    static final Set<String> TEST_ANNOTATIONS = Set.of("Test", "ParameterizedTest", "RepeatedTest", "TestFactory",
            "TestTemplate", "ArchTest", "Property", "Example");

    /** Annotations whose every string names IDs. */
    private static final Set<String> NAMING_ANNOTATIONS = Set.of("DisplayName", "Label", "Tag", "Tags");

    /** Annotations whose {@code name} attribute is a display name template. */
    private static final Set<String> NAME_ATTRIBUTE_ANNOTATIONS =
            Set.of("ParameterizedTest", "RepeatedTest", "TestTemplate", "Property", "Example");

    private static final Set<String> TYPE_KEYWORDS = Set.of("class", "interface", "enum", "record");

    /** One annotation with its attribute values' string literals (concatenations and arrays flattened). */
    record Annotation(String name, Map<String, List<String>> strings, int line) {
        /** The texts of this annotation that may name SPEC IDs. */
        List<String> namingTexts() {
            if (NAMING_ANNOTATIONS.contains(name)) {
                return strings.values().stream().flatMap(List::stream).toList();
            }
            if (NAME_ATTRIBUTE_ANNOTATIONS.contains(name)) {
                return strings.getOrDefault("name", List.of());
            }
            return List.of();
        }
    }

    /** A class, interface, enum or record; {@code name} is qualified by its enclosing types (Outer.Inner). */
    record Type(String name, List<Annotation> annotations, Type outer, int line) {}

    /** An annotated method or field of {@code owner}. */
    record Member(Type owner, String name, List<Annotation> annotations, int line) {
        boolean isTest() {
            return annotations.stream().anyMatch(a -> TEST_ANNOTATIONS.contains(a.name()));
        }
    }

    /** An occurrence of something shaped like a SPEC ID with a known prefix, anywhere in the file. */
    record Mention(String id, int line) {}

    /** What one file declares. */
    record Source(List<Type> types, List<Member> members, List<Mention> mentions) {
        List<Member> tests() {
            return members.stream().filter(Member::isTest).toList();
        }
    }

    private TestSourceScanner() {}

    /**
     * @param prefixes the SPEC's ID prefixes; tokens with other prefixes (SHA-256, UTF-8) are not IDs
     */
    static Source scan(String source, Set<String> prefixes) {
        List<Type> types = new ArrayList<>();
        List<Member> members = new ArrayList<>();
        List<Token> tokens = Lexer.tokens(source);
        Deque<Type> open = new ArrayDeque<>();
        Deque<Integer> bodyDepths = new ArrayDeque<>();
        List<Annotation> pending = new ArrayList<>();
        int depth = 0;
        for (int i = 0; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.is("@") && i + 1 < tokens.size() && !tokens.get(i + 1).is("interface")) {
                i = annotation(tokens, i, pending);
                continue;
            }
            // here "@" can only start "@interface Name", which declares a type like "class Name"
            int keyword = t.is("@") ? i + 1 : i;
            if (isTypeDeclaration(tokens, keyword)) {
                Token name = tokens.get(keyword + 1);
                int body = bodyStart(tokens, keyword + 2);
                if (body < 0) {
                    break; // truncated file: nothing more to attribute
                }
                Type outer = open.peek();
                Type type = new Type(outer == null ? name.text() : outer.name() + "." + name.text(), List.copyOf(pending),
                        outer, name.line());
                types.add(type);
                pending.clear();
                depth++;
                open.push(type);
                bodyDepths.push(depth);
                i = body;
                continue;
            }
            if (t.is("{")) {
                depth++;
                pending.clear(); // parameter annotations of the method whose body opens here
                continue;
            }
            if (t.is("}")) {
                depth--;
                while (!bodyDepths.isEmpty() && bodyDepths.peek() > depth) {
                    bodyDepths.pop();
                    open.pop();
                }
                pending.clear();
                continue;
            }
            boolean inClassBody = !bodyDepths.isEmpty() && bodyDepths.peek() == depth;
            if (!inClassBody || pending.isEmpty()) {
                continue;
            }
            if (t.kind() == Kind.IDENT && i + 1 < tokens.size() && tokens.get(i + 1).is("(")) {
                members.add(new Member(open.peek(), t.text(), List.copyOf(pending), t.line()));
                pending.clear();
            } else if ((t.is("=") || t.is(";")) && i > 0 && tokens.get(i - 1).kind() == Kind.IDENT) {
                Token field = tokens.get(i - 1);
                members.add(new Member(open.peek(), field.text(), List.copyOf(pending), field.line()));
                pending.clear();
            }
        }
        return new Source(List.copyOf(types), List.copyOf(members), mentions(source, prefixes, types, members));
    }

    /** IDs named by a member's own annotations. */
    static Set<String> namedBy(List<Annotation> annotations, Set<String> prefixes) {
        Set<String> out = new LinkedHashSet<>();
        for (Annotation a : annotations) {
            for (String text : a.namingTexts()) {
                Matcher m = SpecCatalogue.ID.matcher(text);
                while (m.find()) {
                    if (prefixes.contains(m.group(1))) {
                        out.add(m.group());
                    }
                }
            }
        }
        return out;
    }

    /** IDs named by a type's annotations and those of every enclosing type. */
    static Set<String> namedBy(Type type, Set<String> prefixes) {
        Set<String> out = new LinkedHashSet<>();
        for (Type t = type; t != null; t = t.outer()) {
            out.addAll(namedBy(t.annotations(), prefixes));
        }
        return out;
    }

    /**
     * IDs in the raw text, plus those that only annotation strings spell out ("ADM-" + "3"), ordered by line;
     * the typo guard must see both.
     */
    private static List<Mention> mentions(String source, Set<String> prefixes, List<Type> types, List<Member> members) {
        List<Mention> out = new ArrayList<>(rawMentions(source, prefixes));
        Set<String> seen = new LinkedHashSet<>();
        out.forEach(m -> seen.add(m.id()));
        List<Annotation> annotations = new ArrayList<>();
        types.forEach(t -> annotations.addAll(t.annotations()));
        members.forEach(m -> annotations.addAll(m.annotations()));
        for (Annotation a : annotations) {
            for (String id : namedBy(List.of(a), prefixes)) {
                if (seen.add(id)) {
                    out.add(new Mention(id, a.line()));
                }
            }
        }
        List<Mention> sorted = new ArrayList<>(out);
        sorted.sort(java.util.Comparator.comparingInt(Mention::line));
        return List.copyOf(sorted);
    }

    private static List<Mention> rawMentions(String source, Set<String> prefixes) {
        List<Mention> out = new ArrayList<>();
        Matcher m = SpecCatalogue.ID.matcher(source);
        int line = 1;
        int scanned = 0;
        while (m.find()) {
            for (; scanned < m.start(); scanned++) {
                if (source.charAt(scanned) == '\n') {
                    line++;
                }
            }
            if (prefixes.contains(m.group(1))) {
                out.add(new Mention(m.group(), line));
            }
        }
        return out;
    }

    private static boolean isTypeDeclaration(List<Token> tokens, int i) {
        if (i + 1 >= tokens.size() || !TYPE_KEYWORDS.contains(tokens.get(i).text()) || tokens.get(i).kind() != Kind.IDENT) {
            return false;
        }
        boolean afterDot = i > 0 && tokens.get(i - 1).is("."); // Foo.class
        return !afterDot && tokens.get(i + 1).kind() == Kind.IDENT;
    }

    /** Index of the "{" opening a type body, skipping generics, record headers and clauses; -1 if none. */
    private static int bodyStart(List<Token> tokens, int from) {
        int parens = 0;
        for (int i = from; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.is("(")) {
                parens++;
            } else if (t.is(")")) {
                parens--;
            } else if (t.is("{") && parens == 0) {
                return i;
            }
        }
        return -1;
    }

    /** Parses the annotation starting at {@code at} ("@"), adds it to {@code into}; returns its last index. */
    private static int annotation(List<Token> tokens, int at, List<Annotation> into) {
        int i = at + 1;
        String name = null;
        while (i < tokens.size() && tokens.get(i).kind() == Kind.IDENT) {
            name = tokens.get(i).text();
            if (i + 2 < tokens.size() && tokens.get(i + 1).is(".") && tokens.get(i + 2).kind() == Kind.IDENT) {
                i += 2;
            } else {
                break;
            }
        }
        if (name == null) {
            return at;
        }
        Map<String, List<String>> strings = new LinkedHashMap<>();
        if (i + 1 < tokens.size() && tokens.get(i + 1).is("(")) {
            int depth = 0;
            String attribute = "value";
            int argStart = i + 2;
            for (int j = i + 1; j < tokens.size(); j++) {
                Token t = tokens.get(j);
                if (t.is("(") || t.is("{")) {
                    depth++;
                } else if (t.is(")") || t.is("}")) {
                    depth--;
                    if (depth == 0) {
                        i = j;
                        break;
                    }
                } else if (t.is(",") && depth == 1) {
                    attribute = "value";
                    argStart = j + 1;
                } else if (depth == 1 && j == argStart && t.kind() == Kind.IDENT && j + 1 < tokens.size()
                        && tokens.get(j + 1).is("=")) {
                    attribute = t.text();
                } else if (t.kind() == Kind.STRING) {
                    List<String> values = strings.computeIfAbsent(attribute, k -> new ArrayList<>());
                    if (tokens.get(j - 1).is("+") && !values.isEmpty()) {
                        values.set(values.size() - 1, values.get(values.size() - 1) + t.text()); // "ADM-" + "3"
                    } else {
                        values.add(t.text());
                    }
                }
            }
        }
        into.add(new Annotation(name, strings, tokens.get(at).line()));
        return i;
    }

    enum Kind {
        IDENT,
        STRING,
        SYMBOL,
        OTHER
    }

    record Token(Kind kind, String text, int line) {
        boolean is(String symbol) {
            return (kind == Kind.SYMBOL || kind == Kind.IDENT) && text.equals(symbol);
        }
    }

    /** Splits Java source into identifiers, string contents and single-character symbols, dropping comments. */
    static final class Lexer {
        private final String s;
        private final List<Token> out = new ArrayList<>();
        private int pos;
        private int line = 1;

        private Lexer(String s) {
            this.s = s;
        }

        static List<Token> tokens(String source) {
            Lexer l = new Lexer(source);
            l.run();
            return l.out;
        }

        private void run() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '\n') {
                    line++;
                    pos++;
                } else if (Character.isWhitespace(c)) {
                    pos++;
                } else if (s.startsWith("//", pos)) {
                    skipTo("\n", false);
                } else if (s.startsWith("/*", pos)) {
                    pos += 2;
                    skipTo("*/", true);
                } else if (s.startsWith("\"\"\"", pos)) {
                    textBlock();
                } else if (c == '"' || c == '\'') {
                    quoted(c);
                } else if (Character.isJavaIdentifierStart(c)) {
                    int start = pos;
                    while (pos < s.length() && Character.isJavaIdentifierPart(s.charAt(pos))) {
                        pos++;
                    }
                    out.add(new Token(Kind.IDENT, s.substring(start, pos), line));
                } else if (Character.isDigit(c)) {
                    int start = pos;
                    while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_'
                            || s.charAt(pos) == '.')) {
                        pos++;
                    }
                    out.add(new Token(Kind.OTHER, s.substring(start, pos), line));
                } else {
                    out.add(new Token(Kind.SYMBOL, String.valueOf(c), line));
                    pos++;
                }
            }
        }

        /** Advances past {@code end} (or to the end of input), counting lines; keeps "\n" unconsumed if asked. */
        private void skipTo(String end, boolean consumeEnd) {
            int found = s.indexOf(end, pos);
            int stop = found < 0 ? s.length() : found;
            countLines(pos, stop);
            pos = found < 0 ? s.length() : (consumeEnd ? found + end.length() : found);
        }

        private void textBlock() {
            int startLine = line;
            int i = pos + 3;
            StringBuilder text = new StringBuilder();
            while (i < s.length() && !s.startsWith("\"\"\"", i)) {
                char c = s.charAt(i);
                if (c == '\\' && i + 1 < s.length()) {
                    text.append(c).append(s.charAt(i + 1));
                    i += 2;
                } else {
                    text.append(c);
                    i++;
                }
            }
            countLines(pos, Math.min(i, s.length()));
            pos = Math.min(i + 3, s.length());
            out.add(new Token(Kind.STRING, text.toString(), startLine));
        }

        private void quoted(char quote) {
            int i = pos + 1;
            StringBuilder text = new StringBuilder();
            while (i < s.length() && s.charAt(i) != quote && s.charAt(i) != '\n') {
                char c = s.charAt(i);
                if (c == '\\' && i + 1 < s.length()) {
                    text.append(s.charAt(i + 1));
                    i += 2;
                } else {
                    text.append(c);
                    i++;
                }
            }
            boolean closed = i < s.length() && s.charAt(i) == quote;
            pos = closed ? i + 1 : i; // an unterminated literal ends at the line break, which is still counted
            out.add(new Token(quote == '"' ? Kind.STRING : Kind.OTHER, text.toString(), line));
        }

        private void countLines(int from, int to) {
            for (int i = from; i < to; i++) {
                if (s.charAt(i) == '\n') {
                    line++;
                }
            }
        }
    }
}
