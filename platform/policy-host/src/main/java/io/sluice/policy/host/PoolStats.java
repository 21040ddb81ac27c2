package io.sluice.policy.host;

/**
 * Instance pool counters of one (tenant, module) pair, for diagnostics and gauges.
 *
 * @param idle instances ready for the next call
 * @param inUse instances currently running a call
 * @param created instances created since the pool was made
 * @param discarded instances thrown away after a violation (timeout, trap, memory, invalid output)
 */
public record PoolStats(int idle, int inUse, long created, long discarded) {
    public static final PoolStats EMPTY = new PoolStats(0, 0, 0, 0);
}
