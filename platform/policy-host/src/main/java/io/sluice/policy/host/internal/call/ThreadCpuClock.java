package io.sluice.policy.host.internal.call;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * CPU time a thread has used, read by the watchdog for the thread it guards. An interface so that tests
 * can hold a guest's CPU time still (a thread that is blocked or descheduled) while wall time runs on.
 */
@FunctionalInterface
public interface ThreadCpuClock {
    /** Returned when the JVM cannot tell; the watchdog then charges wall time instead. */
    long UNSUPPORTED = -1;

    /** CPU time in nanoseconds that {@code thread} has used so far, or {@link #UNSUPPORTED}. */
    long cpuNanos(Thread thread);

    /**
     * The JVM's per-thread CPU clock. HotSpot on Linux supports it and has it on by default; where it is
     * missing or switched off every reading is {@link #UNSUPPORTED} and calls fall back to the wall-clock
     * budget the host used before (ADR 0007).
     */
    static ThreadCpuClock jvm() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isThreadCpuTimeSupported()) {
            return t -> UNSUPPORTED;
        }
        try {
            if (!mx.isThreadCpuTimeEnabled()) {
                mx.setThreadCpuTimeEnabled(true);
            }
        } catch (UnsupportedOperationException | SecurityException e) {
            return t -> UNSUPPORTED;
        }
        // getThreadCpuTime answers -1 for a thread that has ended, which is also our UNSUPPORTED.
        return t -> mx.getThreadCpuTime(t.getId());
    }
}
