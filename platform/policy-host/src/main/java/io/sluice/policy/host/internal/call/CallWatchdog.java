package io.sluice.policy.host.internal.call;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Interrupts guest calls once they pass their CPU-time budget or their wall-clock stop.
 *
 * <p>One daemon thread looks at the calls in flight every tick instead of arming a timer per call.
 * Scheduling and cancelling two {@code ScheduledThreadPoolExecutor} timers per call woke the timer
 * thread every time and cost about 17 µs per call at p50 on 2 cores, more than the guest itself; arming
 * a guard here is a set insertion and a volatile write (ADR 0006). The price is precision: a call is
 * interrupted between its limit and one tick later, and the thread wakes once per tick while calls arrive
 * (it parks after a second without any).
 *
 * <p>The guest's CPU time is read by this thread, never by the guarded one, so a call that ends within
 * a tick (nearly all of them) pays nothing for it: the first tick that sees a budgeted guard takes the
 * thread's CPU time as the baseline, and later ticks read it again only once enough wall time has
 * passed for the budget to be possibly used up. CPU used before that first look is not charged, so a
 * spinning call stops after its budget plus at most the delay of the first look (ADR 0007).
 *
 * <p>Thread-safe. The interrupt can land only while the guard is armed: see {@link Guard#disarm()}.
 */
final class CallWatchdog implements AutoCloseable {
    private static final long IDLE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** The limit that made the watchdog abandon a call. */
    enum Limit {
        /** The call used its CPU-time budget (or, without a CPU clock, the same span of wall time). */
        CPU,
        /** The call reached its wall-clock stop (instantiation limit, or the hard stop of a guest call). */
        WALL
    }

    private final Set<Guard> active = ConcurrentHashMap.newKeySet();
    private final long tickNanos;
    private final long idleAfterNanos;
    private final LongSupplier wallClock;
    private final ThreadCpuClock cpuClock;
    private final Thread thread;
    private volatile long lastArmNanos = System.nanoTime();
    private volatile boolean parkedIdle;
    private volatile boolean closed;
    /** Ticks done so far; written by the watchdog thread only, read by tests to wait for ticks. */
    private volatile long ticks;

    /** @param tickNanos how often limits are checked while calls arrive */
    CallWatchdog(long tickNanos, String threadName) {
        this(tickNanos, threadName, IDLE_AFTER_NANOS, System::nanoTime, ThreadCpuClock.jvm());
    }

    /**
     * @param idleAfterNanos how long without any guard before the thread parks until the next arm
     * @param wallClock the clock deadlines are measured on; tests pass one that runs ahead of real time to
     *     stand for a machine so loaded that a call's wall time is many times its CPU time
     * @param cpuClock reads a guarded thread's CPU time
     */
    CallWatchdog(long tickNanos, String threadName, long idleAfterNanos, LongSupplier wallClock, ThreadCpuClock cpuClock) {
        if (tickNanos <= 0) {
            throw new IllegalArgumentException("tick must be positive");
        }
        this.tickNanos = tickNanos;
        this.idleAfterNanos = idleAfterNanos;
        this.wallClock = wallClock;
        this.cpuClock = cpuClock;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** The tick for calls limited to {@code shortestLimitNanos}: a tenth of it, between 100 µs and 1 ms. */
    static long tickFor(long shortestLimitNanos) {
        return Math.max(TimeUnit.MICROSECONDS.toNanos(100), Math.min(TimeUnit.MILLISECONDS.toNanos(1), shortestLimitNanos / 10));
    }

    /** Now on the clock that deadlines given to {@link #arm} are measured on. */
    long now() {
        return wallClock.getAsLong();
    }

    /**
     * Guards the calling thread until {@link Guard#disarm()}.
     *
     * @param deadlineNanos a {@link #now()} value
     * @param abandon called by the watchdog once a limit passed; the thread is interrupted only if it
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

    /** True while the thread is parked for lack of calls (for tests). */
    boolean idle() {
        return parkedIdle;
    }

    /** Ticks done so far (for tests that must let a few pass). */
    long ticks() {
        return ticks;
    }

    private void run() {
        while (!closed) {
            if (active.isEmpty() && System.nanoTime() - lastArmNanos > idleAfterNanos) {
                parkedIdle = true;
                // Re-checked after publishing parkedIdle: a guard armed in between either sees the flag
                // (and unparks us) or is seen here. So the park needs no timeout; close() unparks too.
                if (active.isEmpty() && !closed) {
                    LockSupport.park(this);
                }
                parkedIdle = false;
                continue;
            }
            LockSupport.parkNanos(this, tickNanos);
            long now = wallClock.getAsLong();
            for (Guard g : active) {
                g.check(now);
            }
            ticks++;
        }
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }

    /**
     * Work the host does on a guarded thread while the guest runs, readable from the watchdog thread: its total time
     * so far (on the guarded thread's CPU clock where the JVM has one) and whether some of it is under way, not yet
     * in that total.
     */
    interface HostWork {
        HostWork NONE = new HostWork() {
            @Override
            public long nanos() {
                return 0;
            }

            @Override
            public boolean underWay() {
                return false;
            }
        };

        long nanos();

        boolean underWay();
    }

    /** One guarded call. */
    final class Guard {
        private static final int ARMED = 0;
        private static final int FIRING = 1;
        private static final int INTERRUPTED = 2;
        private static final int DONE = 3;
        private static final long NOT_SAMPLED = Long.MIN_VALUE;

        private final Thread target;
        private final BooleanSupplier abandon;
        private final AtomicInteger state = new AtomicInteger(ARMED);
        private volatile long deadlineNanos;
        /** 0 until {@link #limitGuestCall}; written last there, so reading it non-zero publishes the rest. */
        private volatile long cpuBudgetNanos;
        private long budgetSinceNanos;
        /** The host's work on the guarded thread, not charged to the guest; read by the watchdog thread. */
        private HostWork hostWork = HostWork.NONE;
        private long hostWorkAtStart;
        private volatile Limit fired;
        // Read and written by the watchdog thread only.
        private long cpuBaseline = NOT_SAMPLED;
        private long baselineAtNanos;
        private long hostWorkBaseline;

        private Guard(Thread target, long deadlineNanos, BooleanSupplier abandon) {
            this.target = target;
            this.deadlineNanos = deadlineNanos;
            this.abandon = abandon;
        }

        /** Moves the wall-clock deadline (a {@link #now()} value). */
        void deadline(long deadlineNanos) {
            this.deadlineNanos = deadlineNanos;
        }

        /**
         * From now on bounds the guarded thread by {@code cpuBudgetNanos} of CPU time and by a wall-clock
         * stop {@code wallBudgetNanos} from now. Called by the guarded thread as the guest starts, so the
         * instantiation before it stays under the earlier wall-clock deadline only.
         *
         * @return {@link #now()} as read here, so the caller need not read the clock again
         */
        long limitGuestCall(long cpuBudgetNanos, long wallBudgetNanos) {
            return limitGuestCall(cpuBudgetNanos, wallBudgetNanos, HostWork.NONE);
        }

        /**
         * As {@link #limitGuestCall(long, long)}, leaving the host's work on the guarded thread ({@code hostWork}, the
         * growth of the guest's memories into new backing arrays) out of the CPU time charged to the guest. That work
         * is bounded in bytes by the memory limit, not in time: charged to the time limit, it made a guest growing its
         * memory past the limit end as a timeout instead of a memory error on a loaded machine (ADR 0038). The
         * wall-clock stop still counts it.
         */
        long limitGuestCall(long cpuBudgetNanos, long wallBudgetNanos, HostWork hostWork) {
            this.hostWork = hostWork;
            this.hostWorkAtStart = hostWork.nanos();
            long now = wallClock.getAsLong();
            this.deadlineNanos = now + wallBudgetNanos;
            this.budgetSinceNanos = now;
            this.cpuBudgetNanos = cpuBudgetNanos;
            return now;
        }

        /** Which limit made the watchdog abandon the call, or null if it never did. */
        Limit fired() {
            return fired;
        }

        private void check(long now) {
            if (now - deadlineNanos >= 0) {
                fire(Limit.WALL);
                return;
            }
            long budget = cpuBudgetNanos;
            if (budget <= 0) {
                return;
            }
            // A thread cannot use more CPU time than wall time passes, so before then there is nothing to read.
            if (cpuBaseline != NOT_SAMPLED && now - baselineAtNanos < budget) {
                return;
            }
            // The guest's clock and the host's work are read together only when no grow is under way and none
            // ended in between; otherwise this tick is skipped. Grows are few and bounded per instance (ADR 0038).
            HostWork work = hostWork;
            long workBefore = work.nanos();
            if (work.underWay()) {
                return;
            }
            long cpu = cpuClock.cpuNanos(target);
            if (work.underWay() || work.nanos() != workBefore) {
                return;
            }
            if (cpuBaseline == NOT_SAMPLED) {
                if (cpu == ThreadCpuClock.UNSUPPORTED) {
                    // No CPU clock: the budget is charged in wall time, as before ADR 0007.
                    if (now - budgetSinceNanos - (workBefore - hostWorkAtStart) >= budget) {
                        fire(Limit.CPU);
                    }
                    return;
                }
                cpuBaseline = cpu;
                baselineAtNanos = now;
                hostWorkBaseline = workBefore;
                return;
            }
            if (cpu == ThreadCpuClock.UNSUPPORTED || cpu - cpuBaseline - (workBefore - hostWorkBaseline) >= budget) {
                fire(Limit.CPU);
            }
        }

        private void fire(Limit limit) {
            synchronized (this) {
                if (!state.compareAndSet(ARMED, FIRING)) {
                    return;
                }
                if (abandon.getAsBoolean()) {
                    fired = limit;
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
