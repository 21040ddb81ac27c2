package io.sluice.app.sessions;

import io.sluice.app.config.SluiceAppConfig;
import io.sluice.core.scheduling.TaskObserver;
import io.sluice.core.scheduling.TaskRun;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Session → the replica that served it last (SES-3), in memory on this instance, so that placement decides without a
 * database read. It learns from the tasks this instance starts and from admission (the session's
 * {@code last_replica_id}, which the batched start transitions persist, comes back with the admission statement), so a
 * session that moves between instances finds its replica again from its second task here on.
 *
 * <p>Entries older than the session TTL are dropped. Thread-safe; called on admission and engine threads.
 */
@ApplicationScoped
public class SessionAffinity implements TaskObserver {
    private static final int SWEEP_EVERY = 4096;

    @Inject
    SluiceAppConfig config;

    private record Entry(String replica, long atNanos) {}

    private final ConcurrentHashMap<UUID, Entry> last = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong writes = new java.util.concurrent.atomic.AtomicLong();

    /** The replica ({@code <pool>/<replica>}) that served {@code session} last, or null. */
    public String lastReplica(UUID session) {
        Entry e = last.get(session);
        if (e == null) {
            return null;
        }
        if (System.nanoTime() - e.atNanos > ttlNanos()) {
            last.remove(session, e);
            return null;
        }
        return e.replica;
    }

    /** Learns the session's last replica from its stored row, unless this instance knows a later one. */
    public void learn(UUID session, String replica) {
        if (replica != null) {
            last.putIfAbsent(session, new Entry(replica, System.nanoTime()));
        }
    }

    /** The session ended (deleted): its tasks no longer go to its replica. */
    public void forget(UUID session) {
        last.remove(session);
    }

    @Override
    public void onStarted(TaskRun run) {
        last.put(run.spec().sessionId(), new Entry(run.replica().qualifiedId(), System.nanoTime()));
        if (writes.incrementAndGet() % SWEEP_EVERY == 0) {
            sweep();
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        long ttl = ttlNanos();
        last.entrySet().removeIf(e -> now - e.getValue().atNanos > ttl);
    }

    private long ttlNanos() {
        return config.sessions().ttlMs() * 1_000_000L;
    }
}
