package io.sluice.policy.host.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Interrupts guest calls that run on their caller's thread once they pass their deadline.
 *
 * <p>One daemon thread looks at the calls in flight every tick instead of arming a timer per call.
 * Scheduling and cancelling two {@code ScheduledThreadPoolExecutor} timers per call woke the timer
 * thread every time and cost about 17 µs per call at p50 on 2 cores, more than the guest itself; arming
 * a guard here is a set insertion and a volatile write. The price is precision: a call is interrupted
 * between its deadline and one tick later, and the thread wakes once per tick while calls arrive
 * (it parks for good after a second without any).
 *
 * <p>Thread-safe. The interrupt can land only while the guard is armed: see {@link Guard#disarm()}.
 */
final class CallWatchdog implements AutoCloseable {
    private static final long IDLE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Set<Guard> active = ConcurrentHashMap.newKeySet();
    private final long tickNanos;
    private final Thread thread;
    private volatile long lastArmNanos = System.nanoTime();
    private volatile boolean parkedIdle;
    private volatile boolean closed;

    /** @param tickNanos how often deadlines are checked while calls arrive */
    CallWatchdog(long tickNanos, String threadName) {
        if (tickNanos <= 0) {
            throw new IllegalArgumentException("tick must be positive");
        }
        this.tickNanos = tickNanos;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** The tick for calls limited to {@code shortestLimitNanos}: a tenth of it, between 100 µs and 1 ms. */
    static long tickFor(long shortestLimitNanos) {
        return Math.max(TimeUnit.MICROSECONDS.toNanos(100), Math.min(TimeUnit.MILLISECONDS.toNanos(1), shortestLimitNanos / 10));
    }

    /**
     * Guards the calling thread until {@link Guard#disarm()}.
     *
     * @param deadlineNanos a {@link System#nanoTime()} value
     * @param abandon called by the watchdog once the deadline passed; the thread is interrupted only if it
     *     returns true (the call agreed to be abandoned), else the check repeats next tick
     */
    Guard arm(long deadlineNanos, BooleanSupplier abandon) {
        Guard g = new Guard(Thread.currentThread(), deadlineNanos, abandon);
        active.add(g);
        lastArmNanos = System.nanoTime();
        if (parkedIdle) {
            LockSupport.unpark(thread);
        }
        return g;
    }

    private void run() {
        while (!closed) {
            if (active.isEmpty() && System.nanoTime() - lastArmNanos > IDLE_AFTER_NANOS) {
                parkedIdle = true;
                // Re-checked after publishing parkedIdle: a guard armed in between either sees the flag
                // (and unparks us) or is seen here.
                if (active.isEmpty()) {
                    LockSupport.parkNanos(this, IDLE_AFTER_NANOS);
                }
                parkedIdle = false;
                continue;
            }
            LockSupport.parkNanos(this, tickNanos);
            long now = System.nanoTime();
            for (Guard g : active) {
                if (now - g.deadlineNanos >= 0) {
                    g.fire();
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }

    /** One guarded call. */
    final class Guard {
        private static final int ARMED = 0;
        private static final int FIRING = 1;
        private static final int INTERRUPTED = 2;
        private static final int DONE = 3;

        private final Thread target;
        private final BooleanSupplier abandon;
        private final AtomicInteger state = new AtomicInteger(ARMED);
        private volatile long deadlineNanos;

        private Guard(Thread target, long deadlineNanos, BooleanSupplier abandon) {
            this.target = target;
            this.deadlineNanos = deadlineNanos;
            this.abandon = abandon;
        }

        /** Moves the deadline (e.g. from the instantiation limit to the call limit). */
        void deadline(long deadlineNanos) {
            this.deadlineNanos = deadlineNanos;
        }

        private void fire() {
            synchronized (this) {
                if (!state.compareAndSet(ARMED, FIRING)) {
                    return;
                }
                if (abandon.getAsBoolean()) {
                    target.interrupt();
                    state.set(INTERRUPTED);
                } else {
                    state.set(ARMED);
                }
            }
        }

        /**
         * Ends the guard on the guarded thread. Afterwards no interrupt from this guard can arrive, and one
         * that did arrive is cleared; the caller restores its own interrupt status, if any, afterwards.
         *
         * @return true if the watchdog never interrupted the call
         */
        boolean disarm() {
            active.remove(this);
            if (state.compareAndSet(ARMED, DONE)) {
                return true;
            }
            // The watchdog is firing or fired: its monitor orders us after the interrupt, if it sent one.
            synchronized (this) {
                boolean interrupted = state.get() == INTERRUPTED;
                state.set(DONE);
                if (interrupted) {
                    Thread.interrupted();
                }
                return !interrupted;
            }
        }
    }
}
