package io.sluice.core.catalog;

import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;

/** Checks a requested lifecycle transition against {@link ModelState}'s table (LIFE-1). */
public final class Lifecycle {
    private Lifecycle() {}

    /**
     * Returns normally when {@code from → to} is legal; otherwise throws {@code CONFLICT} naming the legal targets,
     * so an admin sees what would have worked.
     */
    public static void requireLegal(ModelState from, ModelState to) {
        if (!from.canMoveTo(to)) {
            String legal = from.next().isEmpty() ? "none: " + from + " is final" : from.next().toString();
            throw new SluiceException(SluiceError.of(ErrorCode.CONFLICT,
                            "illegal lifecycle transition " + from + " -> " + to + "; legal from " + from + ": " + legal)
                    .withField("state"));
        }
    }
}
