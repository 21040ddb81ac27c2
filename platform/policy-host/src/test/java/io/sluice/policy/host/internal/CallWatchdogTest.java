package io.sluice.policy.host.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
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
    void movedDeadlineAndTimelyDisarm() throws Exception {
        AtomicBoolean asked = new AtomicBoolean();
        // The first deadline only has to outlast the next line on a loaded CI machine; the sleep then spans
        // it several times over, so a deadline that was not really moved would fire.
        CallWatchdog.Guard guard = watchdog.arm(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200), () -> {
            asked.set(true);
            return true;
        });
        guard.deadline(System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
        Thread.sleep(600);
        assertThat(asked).isFalse();
        assertThat(guard.disarm()).isTrue();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
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
    @DisplayName("after a second without calls the watchdog parks, and the next call wakes it in time")
    void wakesFromIdle() throws Exception {
        Thread.sleep(1_300);
        CallWatchdog.Guard guard = watchdog.arm(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5), () -> true);
        long start = System.nanoTime();
        while (!Thread.currentThread().isInterrupted() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5)) {
            Thread.onSpinWait();
        }
        long waited = System.nanoTime() - start;
        guard.disarm();
        assertThat(waited).as("interrupted well before the 1 s idle park would have ended")
                .isLessThan(TimeUnit.MILLISECONDS.toNanos(500));
    }

    @Test
    @DisplayName("the tick is a tenth of the shortest limit, between 100 µs and 1 ms")
    void tick() {
        assertThat(CallWatchdog.tickFor(TimeUnit.MILLISECONDS.toNanos(10))).isEqualTo(TimeUnit.MILLISECONDS.toNanos(1));
        assertThat(CallWatchdog.tickFor(TimeUnit.MILLISECONDS.toNanos(2))).isEqualTo(TimeUnit.MICROSECONDS.toNanos(200));
        assertThat(CallWatchdog.tickFor(TimeUnit.MICROSECONDS.toNanos(50))).isEqualTo(TimeUnit.MICROSECONDS.toNanos(100));
    }
}
