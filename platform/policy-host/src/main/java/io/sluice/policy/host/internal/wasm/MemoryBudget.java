package io.sluice.policy.host.internal.wasm;

import com.dylibso.chicory.runtime.alloc.MemAllocStrategy;

/**
 * One instance's memory budget, shared by its guest linear memory and its Extism kernel memory.
 *
 * <p>It counts the bytes the JVM actually allocates for both memories' backing arrays (their capacity),
 * which is what a hostile plugin can make the host spend. Capacity runs ahead of the pages in use so that
 * a loop growing one page at a time does not copy the whole memory on every step, but it never runs past
 * the budget: growth that cannot fit throws {@link MemoryBudgetExceededException}, which aborts the call.
 *
 * <p>Not thread-safe: an instance runs one call at a time; only {@link #reserved()} may be read by another thread.
 */
final class MemoryBudget {
    private final long limit;
    /** Written by the instance's call thread only; volatile so that the watchdog can read the growth of a call. */
    private volatile long reserved;

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

    /** Allocation strategy for one memory's backing array. */
    MemAllocStrategy strategy(String memoryName) {
        return new MemAllocStrategy() {
            @Override
            public int initial(int min) {
                reserve(min, memoryName + " initial memory");
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
                return (int) next;
            }
        };
    }

    private void reserve(long bytes, String what) {
        if (bytes > remaining()) {
            throw exceeded(what + " of " + bytes + " bytes");
        }
        reserved += bytes;
    }
}
