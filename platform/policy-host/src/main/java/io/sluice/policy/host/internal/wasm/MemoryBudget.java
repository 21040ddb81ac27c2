package io.sluice.policy.host.internal.wasm;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.alloc.MemAllocStrategy;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * One instance's memory budget, shared by its guest linear memory and its Extism kernel memory.
 *
 * <p>It counts the bytes the JVM actually allocates for both memories' backing arrays (their capacity),
 * which is what a hostile plugin can make the host spend. Capacity runs ahead of the pages in use so that
 * a loop growing one page at a time does not copy the whole memory on every step, but it never runs past
 * the budget: growth that cannot fit throws {@link MemoryBudgetExceededException}, which aborts the call.
 *
 * <p>It also times the growth that needs new backing arrays ({@link BudgetedMemory}): that is the host's work, which
 * the watchdog leaves out of the guest's CPU time (ADR 0038).
 *
 * <p>Not thread-safe: an instance runs one call at a time; only {@link #reserved()}, {@link #growthNanos()} and
 * {@link #growing()} may be read by another thread.
 */
final class MemoryBudget {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final boolean CPU_CLOCK = cpuClockAvailable();

    private final long limit;
    /** Written by the instance's call thread only; volatile so that the watchdog can read the growth of a call. */
    private volatile long reserved;
    /** CPU time (wall time without a CPU clock) spent growing into new backing arrays, all calls together. */
    private volatile long growthNanos;
    /** Grows begun; {@link #growthNanos} is final for the grows ended when this equals {@link #growthsEnded}. */
    private volatile long growthsBegun;
    private volatile long growthsEnded;

    MemoryBudget(long limit) {
        this.limit = limit;
    }

    long limit() {
        return limit;
    }

    long reserved() {
        return reserved;
    }

    long remaining() {
        return limit - reserved;
    }

    long growthNanos() {
        return growthNanos;
    }

    /** True while the instance's thread is growing one of its memories into a new backing array. */
    boolean growing() {
        return growthsBegun != growthsEnded;
    }

    /** Called by {@link BudgetedMemory} before a grow that needs a new array; returns the start time. */
    long growthStarted() {
        growthsBegun++;
        return clock();
    }

    /** Called by {@link BudgetedMemory} after that grow, whether it succeeded or threw. */
    void growthEnded(long start) {
        growthNanos += Math.max(0, clock() - start);
        growthsEnded++;
    }

    private static long clock() {
        return CPU_CLOCK ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
    }

    private static boolean cpuClockAvailable() {
        try {
            return THREADS.isCurrentThreadCpuTimeSupported() && THREADS.isThreadCpuTimeEnabled()
                    && THREADS.getCurrentThreadCpuTime() >= 0;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    /** A memory of this instance under this budget: bounded by it, its growth timed by it. */
    Memory memory(MemoryLimits limits, String memoryName) {
        Strategy strategy = new Strategy(memoryName);
        return new BudgetedMemory(new ByteArrayMemory(limits, strategy), strategy, this);
    }

    /** Fails fast for a single request that can never fit (for example {@code alloc(2^40)}). */
    void checkRequest(long bytes, String what) {
        if (bytes < 0 || bytes > remaining()) {
            throw exceeded(what + " of " + bytes + " bytes");
        }
    }

    private MemoryBudgetExceededException exceeded(String what) {
        return new MemoryBudgetExceededException(what + " exceeds the memory budget of " + limit
                + " bytes (guest linear memory plus Extism kernel memory; " + reserved + " bytes in use)");
    }

    /** Allocation strategy for one memory's backing array; it knows the array's capacity. */
    final class Strategy implements MemAllocStrategy {
        private final String memoryName;
        private int capacity;

        private Strategy(String memoryName) {
            this.memoryName = memoryName;
        }

        /** Bytes of the memory's current backing array. */
        int capacity() {
            return capacity;
        }

        @Override
        public int initial(int min) {
            reserve(min, memoryName + " initial memory");
            capacity = min;
            return min;
        }

        @Override
        public int next(int current, int target) {
            long headroom = limit - reserved - ((long) target - current);
            if (headroom < 0) {
                throw exceeded("growing " + memoryName + " memory to " + target + " bytes");
            }
            // Keep half of what is left for the other memory, so one cannot starve the other by slack.
            long next = Math.min(Math.max(target, 2L * current), target + headroom / 2);
            next = Math.min(next, Integer.MAX_VALUE - 8);
            reserve(next - current, memoryName + " memory growth");
            capacity = (int) next;
            return (int) next;
        }
    }

    private void reserve(long bytes, String what) {
        if (bytes > remaining()) {
            throw exceeded(what + " of " + bytes + " bytes");
        }
        reserved += bytes;
    }
}
