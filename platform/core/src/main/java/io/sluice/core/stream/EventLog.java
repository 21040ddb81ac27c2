package io.sluice.core.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The ordered, replayable event buffer of one task (SPEC SSE-1, SSE-2). Every event gets an id counting
 * from 1; a subscriber may start after any id and receives the rest in order, then live events.
 *
 * <p>Thread-safe. Listeners are called while the log's lock is held, in event order, so they must not
 * block (hand the event to a buffer or an emitter). Once a terminal event is appended the log is closed:
 * later appends are refused and return {@code false}. This is what makes cancel race-free (SSE-3): whoever
 * appends the terminal event first wins, and no token can follow it.
 */
public final class EventLog {
    /** Receives events of one subscription. */
    public interface Listener {
        void onEvent(long id, TaskEvent event);
    }

    /** A live subscription; closing it stops delivery. */
    public interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    private final List<TaskEvent> events = new ArrayList<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private volatile TaskEvent terminal;
    private volatile long closedAtNanos;

    /**
     * Appends an event unless the log already ended.
     *
     * @return whether the event was appended
     */
    public synchronized boolean append(TaskEvent event) {
        if (terminal != null) {
            return false;
        }
        events.add(event);
        long id = events.size();
        if (event.terminal()) {
            terminal = event;
            closedAtNanos = System.nanoTime();
        }
        for (Listener l : listeners) {
            l.onEvent(id, event);
        }
        if (event.terminal()) {
            listeners.clear();
        }
        return true;
    }

    /**
     * Replays every event with an id greater than {@code afterId}, then delivers live events until the
     * terminal one.
     */
    public synchronized Subscription subscribe(long afterId, Listener listener) {
        for (int i = (int) Math.max(0, afterId); i < events.size(); i++) {
            listener.onEvent(i + 1L, events.get(i));
        }
        if (terminal != null) {
            return () -> {};
        }
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    public boolean ended() {
        return terminal != null;
    }

    public Optional<TaskEvent> terminalEvent() {
        return Optional.ofNullable(terminal);
    }

    /** {@link System#nanoTime()} at which the terminal event was appended, or 0 while open. */
    public long closedAtNanos() {
        return closedAtNanos;
    }

    public synchronized int size() {
        return events.size();
    }

    public synchronized List<TaskEvent> snapshot() {
        return List.copyOf(events);
    }
}
