package io.sluice.policy.host.internal.call;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("POL-2 POL-5 the call watchdog interrupts overrunning calls and never leaks an interrupt")
class CallWatchdogTest {
    private static final long TICK = TimeUnit.MILLISECONDS.toNanos(1);
    private final CallWatchdog watchdog = new CallWatchdog(TICK, "test-watchdog");

    @AfterEach
    void close() {
        watchdog.close();
        Thread.interrupted();
    }

    @Test
    @DisplayName("a call past its deadline is interrupted once it agrees to be abandoned; disarm clears the flag")
    void interruptsAfterDeadline() {
        AtomicInteger asked = new AtomicInteger();
        // The wait is measured from the same instant the deadline is computed from, so "not before the
        // deadline" holds exactly rather than up to the time arm() itself takes.
        long start = System.nanoTime();
        CallWatchdog.Guard guard = watchdog.arm(start + TimeUnit.MILLISECONDS.toNanos(5), () -> {
            asked.incrementAndGet();
            return true;
        });
        boolean interrupted = false;
        while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5)) {
            if (Thread.currentThread().isInterrupted()) {
                interrupted = true;
                break;
            }
            Thread.onSpinWait();
        }
        long waited = System.nanoTime() - start;
        assertThat(interrupted).isTrue();
        assertThat(waited).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(5));
        assertThat(asked).hasValue(1);
        assertThat(guard.disarm()).isFalse();
        assertThat(Thread.currentThread().isInterrupted()).as("disarm clears the watchdog's interrupt").isFalse();
    }

    @Test
    @DisplayName("a call that refuses to be abandoned (its guest finished) is not interrupted; the check repeats")
    void refusedAbandonDoesNotInterrupt() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        CallWatchdog.Guard guard = watchdog.arm(System.nanoTime(), () -> {
            asked.incrementAndGet();
            return false;
        });
        // Bounded generously: on a loaded machine three ticks may take far longer than three milliseconds.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (asked.get() < 3 && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        assertThat(asked.get()).as("asked again on later ticks").isGreaterThanOrEqualTo(2);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        assertThat(guard.disarm()).isTrue();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
    }

    @Test
    @DisplayName("deadlines can be moved; a guard disarmed in time is never fired")
    void movedDeadlineAndTimelyDisarm() {
        AtomicLong wall = new AtomicLong(1_000);
        try (CallWatchdog w = new CallWatchdog(TICK, "move-watchdog", TimeUnit.SECONDS.toNanos(1), wall::get, ThreadCpuClock.jvm())) {
            AtomicBoolean asked = new AtomicBoolean();
            CallWatchdog.Guard guard = w.arm(w.now() + TimeUnit.MILLISECONDS.toNanos(200), () -> {
                asked.set(true);
                return true;
            });
            guard.deadline(w.now() + TimeUnit.SECONDS.toNanos(30));
            // Well past the first deadline, well before the moved one.
            wall.addAndGet(TimeUnit.SECONDS.toNanos(1));
            letTicksPass(w);
            assertThat(asked).isFalse();
            assertThat(guard.disarm()).isTrue();
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
        }
    }

    @Test
    @DisplayName("racing disarm against firing on expired deadlines never leaves an interrupt behind")
    void noLeakUnderRaces() {
        // Every deadline has passed on arrival, so each disarm races the watchdog's next tick; which side
        // wins varies, and either way the flag must be clear afterwards.
        for (int i = 0; i < 20_000; i++) {
            CallWatchdog.Guard guard = watchdog.arm(System.nanoTime(), () -> true);
            guard.disarm();
            assertThat(Thread.currentThread().isInterrupted()).as("iteration %d", i).isFalse();
        }
    }

    @Test
    @DisplayName("once idle the watchdog parks until the next call, and that call wakes it")
    void wakesFromIdle() throws Exception {
        // Parked without a timeout: if arm() did not wake it, the guard below would never fire.
        try (CallWatchdog idling = new CallWatchdog(TICK, "idle-watchdog", TimeUnit.MILLISECONDS.toNanos(20),
                System::nanoTime, ThreadCpuClock.jvm())) {
            awaitTrue(idling::idle, "watchdog parks after 20 ms without calls");
            CallWatchdog.Guard guard = idling.arm(System.nanoTime(), () -> true);
            awaitTrue(() -> Thread.currentThread().isInterrupted(), "the parked watchdog woke up and fired");
            assertThat(guard.disarm()).isFalse();
        }
    }

    @Test
    @DisplayName("POL-2 a guest whose wall time runs far ahead of its CPU time is not stopped; once it uses its CPU budget it is")
    void cpuBudgetIgnoresWallTimeSpentWaitingForACore() {
        AtomicLong wall = new AtomicLong(1_000);
        AtomicLong cpu = new AtomicLong(5_000);
        try (CallWatchdog w = new CallWatchdog(TICK, "cpu-watchdog", TimeUnit.SECONDS.toNanos(1), wall::get, t -> cpu.get())) {
            CallWatchdog.Guard guard = w.arm(w.now() + TimeUnit.SECONDS.toNanos(5), () -> true);
            guard.limitGuestCall(TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(1));
            letTicksPass(w); // the first look takes the baseline

            // A saturated machine: half a second passes for the call, but it gets only 9 ms of a core.
            wall.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
            cpu.addAndGet(TimeUnit.MILLISECONDS.toNanos(9));
            letTicksPass(w);
            assertThat(Thread.currentThread().isInterrupted()).as("under its CPU budget").isFalse();
            assertThat(guard.fired()).isNull();

            cpu.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
            awaitTrue(() -> Thread.currentThread().isInterrupted(), "interrupted once 10 ms of CPU time are used");
            assertThat(guard.fired()).isEqualTo(CallWatchdog.Limit.CPU);
            assertThat(guard.disarm()).isFalse();
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
        }
    }

    @Test
    @DisplayName("POL-2 the host's memory growth on the guest's thread is not charged, not even while under way; the guest's own CPU time is")
    void hostMemoryGrowthIsNotCharged() {
        AtomicLong wall = new AtomicLong(1_000);
        AtomicLong cpu = new AtomicLong(5_000);
        AtomicLong growth = new AtomicLong(777);
        AtomicBoolean growing = new AtomicBoolean();
        CallWatchdog.HostWork work = new CallWatchdog.HostWork() {
            @Override
            public long nanos() {
                return growth.get();
            }

            @Override
            public boolean underWay() {
                return growing.get();
            }
        };
        try (CallWatchdog w = new CallWatchdog(TICK, "growth-watchdog", TimeUnit.SECONDS.toNanos(1), wall::get, t -> cpu.get())) {
            CallWatchdog.Guard guard = w.arm(w.now() + TimeUnit.SECONDS.toNanos(5), () -> true);
            guard.limitGuestCall(TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(1), work);
            letTicksPass(w); // the first look takes the baseline

            // The guest uses 9 ms, then the host grows its memory for 80 ms: seen while under way, then once counted.
            wall.addAndGet(TimeUnit.MILLISECONDS.toNanos(200));
            cpu.addAndGet(TimeUnit.MILLISECONDS.toNanos(9));
            growing.set(true);
            cpu.addAndGet(TimeUnit.MILLISECONDS.toNanos(80));
            letTicksPass(w);
            assertThat(Thread.currentThread().isInterrupted()).as("while the host grows memory").isFalse();
            growth.addAndGet(TimeUnit.MILLISECONDS.toNanos(80));
            growing.set(false);
            letTicksPass(w);
            assertThat(Thread.currentThread().isInterrupted()).as("after the growth, 9 ms charged").isFalse();
            assertThat(guard.fired()).isNull();

            cpu.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
            awaitTrue(() -> Thread.currentThread().isInterrupted(), "interrupted once the guest itself used 10 ms");
            assertThat(guard.fired()).isEqualTo(CallWatchdog.Limit.CPU);
            assertThat(guard.disarm()).isFalse();
        }
    }

    @Test
    @DisplayName("POL-2 a guest that uses no CPU (blocked or never scheduled) is still stopped by the wall-clock stop")
    void wallClockStopEndsCallsThatUseNoCpu() {
        AtomicLong wall = new AtomicLong(1_000);
        try (CallWatchdog w = new CallWatchdog(TICK, "wall-watchdog", TimeUnit.SECONDS.toNanos(1), wall::get, t -> 42L)) {
            CallWatchdog.Guard guard = w.arm(w.now() + TimeUnit.SECONDS.toNanos(5), () -> true);
            guard.limitGuestCall(TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(1));
            wall.addAndGet(TimeUnit.MILLISECONDS.toNanos(999));
            letTicksPass(w);
            assertThat(Thread.currentThread().isInterrupted()).as("before the stop").isFalse();

            wall.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
            awaitTrue(() -> Thread.currentThread().isInterrupted(), "interrupted at the wall-clock stop");
            assertThat(guard.fired()).isEqualTo(CallWatchdog.Limit.WALL);
            guard.disarm();
        }
    }

    @Test
    @DisplayName("without a per-thread CPU clock the budget is charged in wall time, as before")
    void fallsBackToWallTimeWithoutACpuClock() {
        AtomicLong wall = new AtomicLong(1_000);
        try (CallWatchdog w = new CallWatchdog(TICK, "nocpu-watchdog", TimeUnit.SECONDS.toNanos(1), wall::get,
                t -> ThreadCpuClock.UNSUPPORTED)) {
            CallWatchdog.Guard guard = w.arm(w.now() + TimeUnit.SECONDS.toNanos(5), () -> true);
            guard.limitGuestCall(TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(1));
            wall.addAndGet(TimeUnit.MILLISECONDS.toNanos(9));
            letTicksPass(w);
            assertThat(Thread.currentThread().isInterrupted()).isFalse();

            wall.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
            awaitTrue(() -> Thread.currentThread().isInterrupted(), "interrupted after 10 ms of wall time");
            assertThat(guard.fired()).isEqualTo(CallWatchdog.Limit.CPU);
            guard.disarm();
        }
    }

    @Test
    @DisplayName("the JVM clock reads a thread's CPU time, which grows while it spins")
    void jvmClockMeasuresThreadCpuTime() {
        ThreadCpuClock clock = ThreadCpuClock.jvm();
        long before = clock.cpuNanos(Thread.currentThread());
        // The supported JVMs (HotSpot on Linux, as in CI) measure thread CPU time; the call limit relies on it, so a
        // JVM without it fails here instead of silently falling back to wall time.
        assertThat(before).as("thread CPU time is measurable on this JVM").isNotEqualTo(ThreadCpuClock.UNSUPPORTED);
        while (clock.cpuNanos(Thread.currentThread()) - before < TimeUnit.MILLISECONDS.toNanos(5)) {
            spinSink += System.identityHashCode(clock) & 1;
        }
        assertThat(clock.cpuNanos(Thread.currentThread()) - before).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(5));
    }

    /** Keeps the spin loop's work observable, so the JIT cannot remove it. */
    private static volatile long spinSink;

    /** Waits until the watchdog has looked at its guards a few more times. */
    private static void letTicksPass(CallWatchdog w) {
        long target = w.ticks() + 3;
        awaitTrue(() -> w.ticks() >= target, "three watchdog ticks");
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > until) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.onSpinWait();
        }
    }

    @Test
    @DisplayName("the tick is a tenth of the shortest limit, between 100 µs and 1 ms")
    void tick() {
        assertThat(CallWatchdog.tickFor(TimeUnit.MILLISECONDS.toNanos(10))).isEqualTo(TimeUnit.MILLISECONDS.toNanos(1));
        assertThat(CallWatchdog.tickFor(TimeUnit.MILLISECONDS.toNanos(2))).isEqualTo(TimeUnit.MICROSECONDS.toNanos(200));
        assertThat(CallWatchdog.tickFor(TimeUnit.MICROSECONDS.toNanos(50))).isEqualTo(TimeUnit.MICROSECONDS.toNanos(100));
    }
}
