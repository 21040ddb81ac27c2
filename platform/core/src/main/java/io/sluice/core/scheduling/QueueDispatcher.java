package io.sluice.core.scheduling;

import io.sluice.core.config.FullPolicy;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.stream.TaskEvent;
import io.sluice.core.task.Priority;
import io.sluice.core.task.TaskSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The pools' bounded fair queues (ADM-4, SCH-1, SCH-2): admits tasks into them in two steps, dispatches the
 * head of a queue onto a free replica slot, and cancels.
 *
 * <p>Admission first {@linkplain #reserve reserves} a place — the full-queue policy applies here, before anything
 * is stored, so a refused task leaves nothing behind — and {@linkplain #activate activates} it once its record is
 * durable (REL-2); a failed write {@linkplain #abandon abandons} the reservation. Each pool's queue and slots
 * are guarded by the pool's lock; engine requests are started outside it.
 */
public final class QueueDispatcher {
    private final RunRegistry runs;
    private final TaskTermination termination;
    private final RunExecutor executor;
    private final Observers observers;
    private volatile boolean closed;

    QueueDispatcher(RunRegistry runs, TaskTermination termination, RunExecutor executor, Observers observers) {
        this.runs = runs;
        this.termination = termination;
        this.executor = executor;
        this.observers = observers;
    }

    /**
     * Reserves a queue place for an admitted task, applying the pool's full-queue policy (ADM-4): {@code reject}
     * refuses; {@code drop-lru} and {@code shed-low-priority} end a waiting task to make room.
     *
     * @param createdAt the task's creation time, as it is stored
     * @param owner the instance that runs the task (REL-5)
     * @throws SluiceException ADMISSION_REJECT (429) when the queue is full and the policy refuses
     */
    public TaskRun reserve(TaskSpec spec, Placement placement, Instant createdAt, String owner) {
        Pool pool = placement.pool();
        FullPolicy fullPolicy = pool.config().queue().fullPolicy();
        TaskRun victim = null;
        TaskRun run;
        synchronized (pool) {
            int capacity = pool.config().queue().capacityOf(spec.priority());
            if (pool.occupied(spec.priority()) >= capacity) {
                victim = chooseVictim(pool, spec.priority(), fullPolicy);
                if (victim == null) {
                    observers.each(o -> o.onBackpressure(pool, fullPolicy));
                    throw new SluiceException(backpressure(pool, spec.priority(), fullPolicy));
                }
                pool.queue().remove(victim.queueEntry());
            }
            long position = pool.queue().size();
            long predicted = pool.estimator().predictStartMs(position, pool.readySlots(), pool.freeSlots());
            pool.reserve(spec.priority());
            run = new TaskRun(spec, pool, position, predicted, createdAt, placement.replicaPreference(), owner);
            run.affineReplica(placement.affineReplica());
        }
        if (victim != null) {
            observers.each(o -> o.onBackpressure(pool, fullPolicy));
            ErrorCode code = fullPolicy == FullPolicy.DROP_LRU ? ErrorCode.QUEUE_FULL_DROP_LRU : ErrorCode.QUEUE_FULL_SHED;
            SluiceError err = SluiceError.of(code, fullPolicy == FullPolicy.DROP_LRU
                            ? "dropped from a full queue to admit a newer task (drop-lru)"
                            : "shed from a full queue to admit a higher-priority task (shed-low-priority)")
                    .withEngine(pool.engine().wire(), pool.id())
                    .withPolicyLabel(fullPolicy.label());
            termination.finish(victim, new TaskEvent.Failed(err),
                    fullPolicy == FullPolicy.DROP_LRU ? TaskObserver.EndReason.DROPPED : TaskObserver.EndReason.SHED);
        }
        return run;
    }

    /**
     * Puts a reserved task into its queue and dispatches: from here on its stream and status are live.
     *
     * @throws SluiceException CONFLICT when this instance already holds a task with that id
     */
    public void activate(TaskRun run) {
        Pool pool = run.pool();
        TaskSpec spec = run.spec();
        if (!runs.register(run)) {
            abandon(run);
            throw SluiceException.of(ErrorCode.CONFLICT, "task " + spec.taskId() + " is already known");
        }
        synchronized (pool) {
            pool.unreserve(spec.priority());
            // Appended under the pool lock: once queued, another thread may dispatch the task at once, and
            // 'started' must precede everything it emits.
            run.log().append(new TaskEvent.Started(run.queuePositionAtAdmission(), run.predictedStartMs(), pool.id(), null,
                    pool.engine().wire()));
            run.queued(pool.queue().enqueue(spec.tenantId(), spec.priority(), run));
            runs.usage(spec.tenantId()).queued.incrementAndGet();
        }
        observers.each(o -> o.onEnqueued(run));
        dispatch(pool);
    }

    /** Gives back the place of a reserved task that will not run (its record could not be written). */
    public void abandon(TaskRun run) {
        Pool pool = run.pool();
        synchronized (pool) {
            pool.unreserve(run.spec().priority());
        }
    }

    /** {@link #reserve} and {@link #activate} at once, for callers without a durable record. */
    public TaskRun enqueue(TaskSpec spec, Placement placement, String owner) {
        TaskRun run = reserve(spec, placement, Instant.now(), owner);
        activate(run);
        return run;
    }

    /**
     * Cancels a task (SSE-3): the stream is sealed before the engine request is aborted, so no token can follow.
     *
     * @return false when the task is unknown here or had already ended
     */
    public boolean cancel(UUID taskId) {
        Optional<TaskRun> found = runs.find(taskId);
        if (found.isEmpty()) {
            return false;
        }
        TaskRun run = found.get();
        SluiceError err = SluiceError.of(ErrorCode.CANCELED, "canceled by the client").withEngine(run.pool().engine().wire(),
                run.pool().id());
        return termination.finish(run, new TaskEvent.Failed(err), TaskObserver.EndReason.CLIENT_CANCEL);
    }

    /** Starts queued tasks on free slots, in fair-queue order, until the pool has no free slot. */
    void dispatch(Pool pool) {
        if (closed) {
            return;
        }
        List<TaskRun> toStart = new ArrayList<>();
        List<TaskRun> stranded = new ArrayList<>();
        synchronized (pool) {
            if (pool.draining()) {
                return;
            }
            while (pool.queue().size() > 0) {
                TaskRun head = pool.queue().peek().orElseThrow().item();
                Optional<Replica> replica = pool.place(Set.of(), head.replicaPreference(), head.affineReplica());
                if (replica.isEmpty()) {
                    if (!head.replicaPreference().isEmpty() && !pool.anyReady(head.replicaPreference())) {
                        // Every replica the tenant's route policy allowed is gone: end the task rather than let
                        // it block the queue behind it forever.
                        stranded.add(head);
                        pool.queue().poll();
                        continue;
                    }
                    break; // keep arrival order: the head waits for a slot on its allowed replicas
                }
                TaskRun run = pool.queue().poll().orElseThrow().item();
                Replica r = replica.get();
                r.acquire();
                run.running(r);
                pool.runningTasks().put(run.spec().taskId().toString(), run);
                TenantUsage u = runs.usage(run.spec().tenantId());
                u.queued.decrementAndGet();
                u.running.incrementAndGet();
                toStart.add(run);
            }
        }
        for (TaskRun run : stranded) {
            SluiceError err = SluiceError.of(ErrorCode.REPLICA_EXHAUSTED,
                            "none of the replicas the tenant's route policy allowed is Ready any more")
                    .withEngine(pool.engine().wire(), pool.id());
            termination.finish(run, new TaskEvent.Failed(err), TaskObserver.EndReason.ENGINE_ERROR);
        }
        for (TaskRun run : toStart) {
            executor.start(pool, run);
        }
    }

    void close() {
        closed = true;
    }

    private static TaskRun chooseVictim(Pool pool, Priority incoming, FullPolicy policy) {
        return switch (policy) {
            case REJECT -> null;
            case DROP_LRU -> pool.queue().oldest().map(FairQueue.Entry::item).orElse(null);
            case SHED_LOW_PRIORITY -> incoming == Priority.INTERACTIVE
                    ? pool.queue().newest(Priority.BATCH).map(FairQueue.Entry::item).orElse(null)
                    : null;
        };
    }

    private static SluiceError backpressure(Pool pool, Priority priority, FullPolicy policy) {
        long retry = Math.max(100, (long) pool.estimator().taskMs());
        return SluiceError.of(ErrorCode.ADMISSION_REJECT,
                        "queue of pool " + pool.id() + " is full for priority " + priority.wire() + " (" + policy.label() + ")")
                .withEngine(pool.engine().wire(), pool.id())
                .withRetryAfter(retry)
                .withPolicyLabel(policy.label())
                .withStage(AdmissionStage.ENQUEUE);
    }
}
