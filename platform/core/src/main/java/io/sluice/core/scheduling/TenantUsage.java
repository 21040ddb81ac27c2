package io.sluice.core.scheduling;

import java.util.concurrent.atomic.AtomicInteger;

/** Live counts of one tenant's tasks, for quota checks and policy snapshots. Thread-safe. */
public final class TenantUsage {
    final AtomicInteger queued = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();

    public int queued() {
        return queued.get();
    }

    public int running() {
        return running.get();
    }
}
