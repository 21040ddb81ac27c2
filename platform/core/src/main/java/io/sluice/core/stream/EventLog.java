package io.sluice.core.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The ordered, replayable event buffer of one task (SPEC SSE-1, SSE-2). Every event gets an id counting
 * from 1; a subscriber may start after any id and receives the later events in order, then live ones.
 *
 * <p>A task ends in two steps. {@link #seal()} closes the log to new events at once and reserves the id of the
 * terminal event: this is what makes cancel race-free (SSE-3) — whoever seals first wins, and no token can
 * follow. {@link #publishTerminal} then delivers the terminal event once its outcome is durable (REL-5): the
 * event a client sees is the one the database holds, which is not always the one the sealer proposed (another
 * instance may have resolved the task first). {@link #append} of a terminal event does both at once.
 *
 * <p>Thread-safe. Listeners are called while the log's lock is held, in event order, so they must not block
 * (hand the event to a buffer or an event loop).
 */
public final class EventLog {
    /** Receives events of one subscription. */
    public interface Listener {
        void onEvent(long id, TaskEvent event);

        /** No event will follow: the terminal one was delivered, or lay at or before the resume point. */
        default void onEnd() {}
    }

    /** A live subscription; closing it stops delivery. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    private final List<TaskEvent> events = new ArrayList<>();
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private long sealedAt = -1;
    private volatile TaskEvent terminal;
    private volatile long terminalId;
    private volatile long closedAtNanos;

    private record Subscriber(long afterId, Listener listener) {}

    /**
     * Appends an event unless the log is sealed. A terminal event seals the log and is published at once.
     *
     * @return whether the event was appended
     */
    public synchronized boolean append(TaskEvent event) {
        if (sealedAt >= 0) {
            return false;
        }
        if (event.terminal()) {
            publishTerminal(event, seal());
            return true;
        }
        events.add(event);
        long id = events.size();
        for (Subscriber s : subscribers) {
            if (id > s.afterId) {
                s.listener.onEvent(id, event);
            }
        }
        return true;
    }

    /**
     * Closes the log to further events and reserves the terminal event's id.
     *
     * @return the reserved id, or -1 when the log was already sealed (someone else ends the task)
     */
    public synchronized long seal() {
        if (sealedAt >= 0) {
            return -1;
        }
        sealedAt = events.size() + 1L;
        return sealedAt;
    }

    /**
     * Delivers the terminal event of a sealed log. {@code id} is normally the reserved one; a task resolved by
     * another instance carries the id stored with its outcome, which is never smaller. Later calls are ignored.
     */
    public synchronized void publishTerminal(TaskEvent event, long id) {
        if (!event.terminal()) {
            throw new IllegalArgumentException(event.name() + " is not a terminal event");
        }
        if (sealedAt < 0) {
            sealedAt = events.size() + 1L;
        }
        if (terminal != null) {
            return;
        }
        long publishedId = Math.max(id, sealedAt);
        terminal = event;
        terminalId = publishedId;
        closedAtNanos = System.nanoTime();
        for (Subscriber s : subscribers) {
            if (publishedId > s.afterId) {
                s.listener.onEvent(publishedId, event);
            }
            s.listener.onEnd();
        }
        subscribers.clear();
    }

    /**
     * Replays every event with an id greater than {@code afterId}, then delivers live events until the
     * terminal one. When the log already ended, {@link Listener#onEnd()} is called before this returns.
     */
    public synchronized Subscription subscribe(long afterId, Listener listener) {
        for (int i = (int) Math.min(Math.max(0, afterId), events.size()); i < events.size(); i++) {
            listener.onEvent(i + 1L, events.get(i));
        }
        if (terminal != null) {
            if (terminalId > afterId) {
                listener.onEvent(terminalId, terminal);
            }
            listener.onEnd();
            return () -> {};
        }
        Subscriber s = new Subscriber(afterId, listener);
        subscribers.add(s);
        return () -> subscribers.remove(s);
    }

    /** Live subscriptions (readers still waiting for events). */
    public int readers() {
        return subscribers.size();
    }

    /** Whether the log is closed to new events (the task is ending or ended). */
    public synchronized boolean sealed() {
        return sealedAt >= 0;
    }

    /** Whether the terminal event was published. */
    public boolean ended() {
        return terminal != null;
    }

    public Optional<TaskEvent> terminalEvent() {
        return Optional.ofNullable(terminal);
    }

    /** Id of the published terminal event, or 0 while none was published. */
    public long terminalId() {
        return terminalId;
    }

    /** {@link System#nanoTime()} at which the terminal event was published, or 0 while open. */
    public long closedAtNanos() {
        return closedAtNanos;
    }

    /** Events appended so far, the terminal one excluded. */
    public synchronized int size() {
        return events.size();
    }

    /** Every event so far, the published terminal one included. */
    public synchronized List<TaskEvent> snapshot() {
        List<TaskEvent> out = new ArrayList<>(events);
        if (terminal != null) {
            out.add(terminal);
        }
        return List.copyOf(out);
    }
}
