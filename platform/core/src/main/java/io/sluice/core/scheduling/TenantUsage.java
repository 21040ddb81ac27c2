package io.sluice.core.scheduling;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Live counts of one tenant's tasks on this instance, for quota checks and policy snapshots. Thread-safe. The
 * counts only grow under this object's lock, after a check against the tenant's limit ({@link #tryReserve},
 * {@link #tryStart}), so concurrent admissions and dispatches on several pools never pass a limit together.
 */
public final class TenantUsage {
    final AtomicInteger queued = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    /** Admissions holding a queue place while their record is written. */
    final AtomicInteger pending = new AtomicInteger();

    public int queued() {
        return queued.get();
    }

    public int running() {
        return running.get();
    }

    /** Takes a waiting place unless pending and queued tasks already reach {@code limit}. */
    synchronized boolean tryReserve(int limit) {
        if (limit != Integer.MAX_VALUE && pending.get() + queued.get() >= limit) {
            return false;
        }
        pending.incrementAndGet();
        return true;
    }

    /** A reserved place became a queued task. */
    synchronized void reservedToQueued() {
        pending.decrementAndGet();
        queued.incrementAndGet();
    }

    void releaseReserved() {
        pending.decrementAndGet();
    }

    /** A queued task starts unless running tasks already reach {@code limit}. */
    synchronized boolean tryStart(int limit) {
        if (limit != Integer.MAX_VALUE && running.get() >= limit) {
            return false;
        }
        running.incrementAndGet();
        queued.decrementAndGet();
        return true;
    }
}
