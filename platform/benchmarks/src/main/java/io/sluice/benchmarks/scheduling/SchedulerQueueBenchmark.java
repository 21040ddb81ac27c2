package io.sluice.benchmarks.scheduling;

import io.sluice.core.scheduling.FairQueue;
import io.sluice.core.task.Priority;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SCH-1/SCH-2 cost target of issue 11: one enqueue plus one dispatch of the scheduler's fair queue with 10,000
 * tasks waiting across 100 tenants, each tenant with an interactive and a batch flow at the default weights (8 : 1).
 *
 * <p>An operation is what {@code QueueDispatcher} does to the queue for one task, under the pool lock: enqueue with a
 * deadline, then peek the first eligible head (the quota predicate; no tenant is held at its quota here, a held
 * tenant costs one skipped head each) and take it. The queue stays at 10,000 entries. The pool lock itself is taken
 * in {@code underPoolLock} (uncontended, as on one pool with one dispatching thread); engine I/O is not part of it.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(2)
public class SchedulerQueueBenchmark {
    private static final int TENANTS = 100;

    @Param("10000")
    public int queued;

    private FairQueue<Long> queue;
    private String[] tenants;
    private SplittableRandom random;
    private long next;
    private final Object poolLock = new Object();
    /** No tenant at its concurrency quota: the dispatch takes the first head, as in a pool without quotas hit. */
    private final Predicate<FairQueue.FlowKey> eligible = flow -> true;

    @Setup(Level.Trial)
    public void fill() {
        queue = new FairQueue<>(flow -> flow.priority() == Priority.INTERACTIVE ? 8.0 : 1.0, item -> 64L);
        tenants = new String[TENANTS];
        for (int i = 0; i < TENANTS; i++) {
            tenants[i] = ("tenant-" + i).intern();
        }
        random = new SplittableRandom(42);
        for (int i = 0; i < queued; i++) {
            enqueueOne();
        }
    }

    private void enqueueOne() {
        String tenant = tenants[random.nextInt(TENANTS)];
        Priority priority = random.nextInt(4) == 0 ? Priority.INTERACTIVE : Priority.BATCH;
        long id = next++;
        queue.enqueue(tenant, priority, id, 1_000_000L + id);
    }

    private Long dispatchOne() {
        Optional<FairQueue.Entry<Long>> head = queue.peek(eligible);
        if (head.isEmpty()) {
            return null;
        }
        FairQueue.Entry<Long> entry = head.get();
        queue.take(entry);
        return entry.item();
    }

    /** Enqueue one task and dispatch one: the queue's share of admitting and starting a task. */
    @Benchmark
    public Long enqueueAndDispatch() {
        enqueueOne();
        return dispatchOne();
    }

    /** The same with the pool's monitor taken around each half, as {@code QueueDispatcher} does. */
    @Benchmark
    public Long underPoolLock() {
        synchronized (poolLock) {
            enqueueOne();
        }
        synchronized (poolLock) {
            return dispatchOne();
        }
    }
}
