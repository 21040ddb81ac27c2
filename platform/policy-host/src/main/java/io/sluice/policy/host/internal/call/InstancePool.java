package io.sluice.policy.host.internal.call;

import io.sluice.policy.host.PoolStats;
import io.sluice.policy.host.internal.wasm.GuestInstance;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Bounded pool of instances of one module for one tenant. Instances are never shared between tenants,
 * so whatever a guest leaves in its memory can only ever be seen by later calls of the same tenant.
 *
 * <p>Thread-safe (monitor). A slot is either idle (an instance waiting), in use, or free (may be filled
 * by creating an instance); {@code idle + inUse <= max} always holds.
 */
final class InstancePool {
    private final int max;
    private final ArrayDeque<GuestInstance> idle = new ArrayDeque<>();
    private int inUse;
    private long created;
    private long discarded;
    private boolean closed;
    private int heavyFailuresInARow;
    private long quarantinedUntil;
    private long nextQuarantineNanos;

    InstancePool(int max) {
        this.max = max;
    }

    /** A claimed slot: an idle instance, or {@code null} meaning "create one for this slot". */
    record Slot(GuestInstance instance) {}

    /**
     * Claims a slot, waiting until {@code deadlineNanos} (a {@link System#nanoTime()} value) at most.
     *
     * @return the slot, or {@code null} when none freed in time or the pool is closed
     */
    synchronized Slot claim(long deadlineNanos) throws InterruptedException {
        while (!closed) {
            GuestInstance inst = idle.pollFirst();
            if (inst != null) {
                inUse++;
                return new Slot(inst);
            }
            if (inUse < max) {
                inUse++;
                return new Slot(null);
            }
            long waitNanos = deadlineNanos - System.nanoTime();
            if (waitNanos <= 0) {
                return null;
            }
            TimeUnit.NANOSECONDS.timedWait(this, waitNanos);
        }
        return null;
    }

    synchronized void created() {
        created++;
    }

    /** Returns a healthy instance to the pool. */
    synchronized void release(GuestInstance inst) {
        inUse--;
        if (closed) {
            discarded++;
        } else {
            idle.addFirst(inst);
        }
        notifyAll();
    }

    /** Frees the slot of an instance that must not run again (or was never created). */
    synchronized void discard(boolean hadInstance) {
        inUse--;
        if (hadInstance) {
            discarded++;
        }
        notifyAll();
    }

    synchronized void close() {
        closed = true;
        discarded += idle.size();
        idle.clear();
        notifyAll();
    }

    /** Nanos left in quarantine, or 0 when calls may run. */
    synchronized long quarantineLeft(long now) {
        return quarantinedUntil > now ? quarantinedUntil - now : 0;
    }

    /**
     * Records how a call ended. A run of {@code threshold} timeouts or memory violations quarantines
     * the pair for {@code base}, doubling (up to 64x) on every further trip until a call succeeds.
     */
    synchronized void recordOutcome(boolean heavyFailure, boolean success, int threshold, long baseNanos, long now) {
        if (success) {
            heavyFailuresInARow = 0;
            nextQuarantineNanos = 0;
            return;
        }
        if (!heavyFailure || threshold == 0) {
            return;
        }
        heavyFailuresInARow++;
        if (heavyFailuresInARow >= threshold && quarantinedUntil <= now) {
            long period = nextQuarantineNanos == 0 ? baseNanos : nextQuarantineNanos;
            quarantinedUntil = now + period;
            nextQuarantineNanos = Math.min(period * 2, baseNanos * 64);
        }
    }

    synchronized PoolStats stats() {
        return new PoolStats(idle.size(), inUse, created, discarded);
    }
}
