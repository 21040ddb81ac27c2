package io.sluice.core.quota;

/**
 * A tenant's quotas as an admin set them (SCH-3), for the whole deployment: every instance enforces its share.
 * A null member is unlimited; 0 allows nothing.
 *
 * @param burst token bucket size of {@code rps}; null means equal to {@code rps}
 */
public record QuotaLimits(Integer maxConcurrent, Integer maxQueued, Integer rps, Integer burst, Long tokensPerMinute) {
    public static final QuotaLimits UNLIMITED = new QuotaLimits(null, null, null, null, null);

    public QuotaLimits {
        requireNotNegative("max_concurrent", maxConcurrent);
        requireNotNegative("max_queued", maxQueued);
        requireNotNegative("rps", rps);
        requireNotNegative("burst", burst);
        if (tokensPerMinute != null && tokensPerMinute < 0) {
            throw new IllegalArgumentException("tokens_per_minute must not be negative");
        }
    }

    /** The bucket size in force: {@code burst}, or {@code rps} when no burst was set. */
    public Integer effectiveBurst() {
        return burst != null ? burst : rps;
    }

    private static void requireNotNegative(String name, Integer v) {
        if (v != null && v < 0) {
            throw new IllegalArgumentException(name + " must not be negative");
        }
    }
}
