package io.sluice.app.openai;

import java.util.List;

/**
 * OpenAI's {@code stop}: the answer ends before the first occurrence of any stop sequence, which is not returned.
 * Engines are not told the sequences (the task model has none), so the facade watches the text itself: text that
 * could be the start of a stop sequence is held back until the next token shows whether it is one. Not thread-safe:
 * one instance per answer, fed in token order.
 */
final class StopSequences {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean matched;

    StopSequences(List<String> stops) {
        this.stops = stops;
    }

    boolean none() {
        return stops.isEmpty();
    }

    /** Whether a stop sequence was found: nothing more may be emitted. */
    boolean matched() {
        return matched;
    }

    /** Text that may be emitted now after {@code token} arrived ("" when it is held back or a stop was found). */
    String feed(String token) {
        if (stops.isEmpty()) {
            return token;
        }
        if (matched) {
            return "";
        }
        pending.append(token);
        int at = -1;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i >= 0 && (at < 0 || i < at)) {
                at = i;
            }
        }
        if (at >= 0) {
            matched = true;
            String out = pending.substring(0, at);
            pending.setLength(0);
            return out;
        }
        int keep = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, pending.length()); k > keep; k--) {
                if (endsWith(pending, s, k)) {
                    keep = k;
                    break;
                }
            }
        }
        String out = pending.substring(0, pending.length() - keep);
        pending.delete(0, pending.length() - keep);
        return out;
    }

    /** The held-back text, once the answer ended without a stop sequence. */
    String flush() {
        String out = pending.toString();
        pending.setLength(0);
        return out;
    }

    /** Whether {@code sb} ends with the first {@code k} characters of {@code s}. */
    private static boolean endsWith(StringBuilder sb, String s, int k) {
        int off = sb.length() - k;
        for (int j = 0; j < k; j++) {
            if (sb.charAt(off + j) != s.charAt(j)) {
                return false;
            }
        }
        return true;
    }
}
