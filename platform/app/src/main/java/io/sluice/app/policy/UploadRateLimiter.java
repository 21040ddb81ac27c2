package io.sluice.app.policy;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Bounds policy uploads per tenant with a token bucket (POL-9): {@code burst} uploads in a row, then one every
 * {@code 60 s / perMinute}, across all live instances together (ADR 0033). As with the rate quotas of ADR 0012, each
 * instance keeps the full bucket and an upload takes one token per live instance, so N instances together accept at
 * most the burst at once and the rate over time, without talking to each other per upload. Thread-safe; the clock is
 * injectable for tests.
 */
final class UploadRateLimiter {
    private final long burst;
    private final long nanosPerToken;
    private final LongSupplier clock;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    /** Tokens as nanoseconds of refill time: full = burst * nanosPerToken. */
    private static final class Bucket {
        long filledAtNanos;
    }

    UploadRateLimiter(int perMinute, int burst, LongSupplier clock) {
        if (perMinute < 1 || burst < 1) {
            throw new IllegalArgumentException("uploads per minute and burst must be >= 1");
        }
        this.burst = burst;
        this.nanosPerToken = 60_000_000_000L / perMinute;
        this.clock = clock;
    }

    /**
     * Takes one upload for {@code tenant}.
     *
     * @param liveInstances instances sharing the limit, this one included; an upload costs that many tokens (never
     *     more than the burst, so that some upload always gets through on a large deployment)
     * @return 0 if taken, else the milliseconds until one is available (at least 1)
     */
    long tryTake(String tenant, int liveInstances) {
        long cost = Math.min(Math.max(1, liveInstances), burst) * nanosPerToken;
        long now = clock.getAsLong();
        Bucket b = buckets.computeIfAbsent(tenant, t -> {
            Bucket fresh = new Bucket();
            fresh.filledAtNanos = now - burst * nanosPerToken;
            return fresh;
        });
        synchronized (b) {
            // The bucket is full when filledAt is burst tokens in the past; never fuller than that.
            long start = Math.max(b.filledAtNanos, now - burst * nanosPerToken);
            long next = start + cost;
            if (next - now > 0) {
                return Math.max(1, (next - now + 999_999) / 1_000_000);
            }
            b.filledAtNanos = next;
            return 0;
        }
    }
}
