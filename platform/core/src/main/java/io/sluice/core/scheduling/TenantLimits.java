package io.sluice.core.scheduling;

/**
 * This instance's share of each tenant's concurrency quotas (SCH-3), read by the dispatcher at every reservation and
 * dispatch, so a change applies to the next task. Implementations answer from memory and are thread-safe.
 */
public interface TenantLimits {
    /** Nothing limited. */
    TenantLimits NONE = new TenantLimits() {
        @Override
        public int runningShare(String tenant) {
            return Integer.MAX_VALUE;
        }

        @Override
        public int queuedShare(String tenant) {
            return Integer.MAX_VALUE;
        }
    };

    /** Most tasks of {@code tenant} this instance may run at once; {@link Integer#MAX_VALUE} when unlimited. */
    int runningShare(String tenant);

    /** Most tasks of {@code tenant} this instance may hold waiting; {@link Integer#MAX_VALUE} when unlimited. */
    int queuedShare(String tenant);
}
