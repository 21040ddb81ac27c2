package io.sluice.chattemplates;

/**
 * A chat template that cannot be used, or that could not render one conversation. {@link #kind()} tells the caller
 * whose fault it is: the template's ({@link Kind#INVALID}, {@link Kind#FAILED}, {@link Kind#TIME_BUDGET}) or the
 * conversation's ({@link Kind#REFUSED}, {@link Kind#OUTPUT_TOO_LARGE}). Messages name the template's own words
 * (what it passed to {@code raise_exception}, or the renderer's error) but never the messages' text.
 */
public final class ChatTemplateException extends RuntimeException {
    public enum Kind {
        /** The source does not compile, is too long, or fails on a plain user/assistant conversation. */
        INVALID,
        /** The template called {@code raise_exception}: it refuses this conversation (roles out of order, say). */
        REFUSED,
        /** The rendered prompt would be longer than the limit. */
        OUTPUT_TOO_LARGE,
        /** Rendering took longer than the time budget and was stopped. */
        TIME_BUDGET,
        /** Rendering failed otherwise (an unknown function or filter, an expression that cannot be evaluated). */
        FAILED
    }

    private final Kind kind;

    public ChatTemplateException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
