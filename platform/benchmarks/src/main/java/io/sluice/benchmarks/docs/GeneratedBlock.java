package io.sluice.benchmarks.docs;

/**
 * A generated part of a hand-written page, between a begin and an end marker line. Regenerating replaces only what is
 * between them; a page without both markers is refused rather than guessed at.
 */
public record GeneratedBlock(String begin, String end) {

    /** {@code doc} with the text between the markers replaced by {@code block}. */
    public String replaceIn(String doc, String block) {
        int b = doc.indexOf(begin);
        int e = doc.indexOf(end);
        if (b < 0 || e < b) {
            throw new IllegalStateException("the document has no generated block: add the lines\n" + begin + "\n" + end);
        }
        return doc.substring(0, b + begin.length()) + "\n" + block + doc.substring(e);
    }
}
