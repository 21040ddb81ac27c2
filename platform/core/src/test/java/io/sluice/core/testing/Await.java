package io.sluice.core.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Bounded polling for tests that wait on something another thread or process does: the condition is checked at once
 * and then with a growing pause (10 ms up to 200 ms) until it holds or the bound passes, when the test fails with
 * {@code description}. A bound is a generous limit for a slow machine, never a guess at how long the work takes.
 */
public final class Await {
    private Await() {}

    public static void until(Duration bound, BooleanSupplier condition, String description) {
        long deadline = System.nanoTime() + bound.toNanos();
        long pauseMs = 10;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + bound.toMillis() + " ms: " + description);
            }
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for: " + description, e);
            }
            pauseMs = Math.min(200, pauseMs * 2);
        }
    }
}
