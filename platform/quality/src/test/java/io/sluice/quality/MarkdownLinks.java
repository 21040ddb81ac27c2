package io.sluice.quality;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Extracts link targets from Markdown: inline links and images ({@code [text](target "title")}) and reference
 * definitions ({@code [label]: target}). Text inside fenced code blocks, code spans and HTML comments is not
 * Markdown, so links there are ignored.
 */
final class MarkdownLinks {
    private static final Pattern INLINE = Pattern.compile("!?\\[(?:[^\\[\\]]|\\[[^\\]]*\\])*\\]\\(\\s*(<[^>]*>|[^\\s)]+)(?:\\s+\"[^\"]*\")?\\s*\\)");
    private static final Pattern REFERENCE = Pattern.compile("^ {0,3}\\[[^\\]]+\\]:\\s*(<[^>]*>|\\S+)");
    private static final Pattern FENCE = Pattern.compile("^ {0,3}(`{3,}|~{3,})");
    private static final Pattern COMMENT = Pattern.compile("(?s)<!--.*?-->");
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

    record Link(int line, String target) {
        /** A link into the same repository (not a URL, not an anchor on the same page). */
        boolean isRelative() {
            return !target.isEmpty() && !target.startsWith("#") && !target.startsWith("//") && !SCHEME.matcher(target).find();
        }

        /** The file part: without fragment or query, percent-decoded. */
        String path() {
            String p = target.replaceFirst("[#?].*$", "");
            return java.net.URLDecoder.decode(p.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private MarkdownLinks() {}

    static List<Link> extract(String markdown) {
        List<Link> out = new ArrayList<>();
        // comments are blanked, not removed, so line numbers stay right
        String text = COMMENT.matcher(markdown).replaceAll(m -> m.group().replaceAll("[^\\n]", " "));
        String[] lines = text.split("\n", -1);
        String fence = null;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            Matcher f = FENCE.matcher(line);
            if (fence == null && f.find()) {
                fence = f.group(1);
                continue;
            }
            if (fence != null) {
                String s = line.strip();
                char mark = fence.charAt(0);
                if (s.length() >= fence.length() && s.chars().allMatch(c -> c == mark)) {
                    fence = null;
                }
                continue;
            }
            String prose = line.replaceAll("(`+)(.+?)\\1", " ");
            Matcher m = INLINE.matcher(prose);
            while (m.find()) {
                out.add(new Link(i + 1, unwrap(m.group(1))));
            }
            Matcher r = REFERENCE.matcher(prose);
            if (r.find()) {
                out.add(new Link(i + 1, unwrap(r.group(1))));
            }
        }
        return out;
    }

    private static String unwrap(String target) {
        return target.startsWith("<") && target.endsWith(">") ? target.substring(1, target.length() - 1).strip() : target;
    }
}
