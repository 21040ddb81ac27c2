package io.sluice.app.openai;

/**
 * Writes JSON string literals by hand: the facade's per-token frames are a fixed prefix, the escaped token text and
 * a fixed suffix, so no JSON tree or generator is built per token.
 */
final class JsonText {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private JsonText() {}

    /** Appends {@code s} as a quoted JSON string. */
    static StringBuilder quoted(StringBuilder sb, String s) {
        sb.append('"');
        escaped(sb, s);
        return sb.append('"');
    }

    /** Appends the escaped content of a JSON string (without quotes). */
    static StringBuilder escaped(StringBuilder sb, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    // Control characters must be escaped; U+2028/2029 are escaped so that frames stay one line for
                    // JavaScript readers too.
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        sb.append("\\u").append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF]).append(HEX[(c >> 4) & 0xF])
                                .append(HEX[c & 0xF]);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb;
    }
}
