package io.sluice.core.scheduling;

import io.sluice.core.config.FullPolicy;
import io.sluice.core.engine.Generation;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.stream.TaskEvent;
import io.sluice.core.task.Priority;
import io.sluice.core.task.TaskSpec;
import io.sluice.core.task.TaskState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    private final TenantLimits limits;
    private volatile boolean closed;
    /** Set when a dispatch left a task waiting because its tenant was at its concurrency quota (SCH-3). */
    private volatile boolean heldBack;
    /** Moves what waits for a draining pool elsewhere (POOL-3); set once by the scheduler. */
    private volatile java.util.function.Consumer<Pool> drainingQueue = pool -> {};

    QueueDispatcher(RunRegistry runs, TaskTermination termination, RunExecutor executor, Observers observers, TenantLimits limits) {
        this.runs = runs;
        this.termination = termination;
        this.executor = executor;
        this.observers = observers;
        this.limits = limits;
    }

    /**
     * Reserves a queue place for an admitted task, applying the pool's full-queue policy (ADM-4): {@code reject}
     * refuses; {@code drop-lru} and {@code shed-low-priority} end a waiting task to make room.
     *
     * @param createdAt the task's creation time, as it is stored
     * @param owner the instance that runs the task (REL-5)
     * @throws SluiceException ADMISSION_REJECT (429) when the queue is full and the policy refuses; QUOTA_EXCEEDED
     *     (429) when the tenant may not hold another waiting task here (SCH-3)
     */
    public TaskRun reserve(TaskSpec spec, Placement placement, Instant createdAt, String owner) {
        TenantUsage usage = reserveTenantPlace(spec, placement.pool());
        try {
            return reservePoolPlace(spec, placement, createdAt, owner);
        } catch (RuntimeException e) {
            usage.releaseReserved();
            throw e;
        }
    }

    /** The tenant's quota share on this instance, checked and taken atomically (SCH-3). */
    private TenantUsage reserveTenantPlace(TaskSpec spec, Pool pool) {
        String tenant = spec.tenantId();
        TenantUsage usage = runs.usage(tenant);
        int runningShare = limits.runningShare(tenant);
        // A task that could never start here must not wait here: it would hold its place forever.
        if (runningShare <= 0 || !usage.tryReserve(limits.queuedShare(tenant))) {
            String what = runningShare <= 0 ? "max_concurrent" : "max_queued";
            throw new SluiceException(SluiceError.of(ErrorCode.QUOTA_EXCEEDED, "the tenant's " + what + " quota is reached")
                    .withRetryAfter(Math.max(100L, (long) pool.estimator().taskMs()))
                    .withStage(AdmissionStage.QUOTA));
        }
        return usage;
    }

    private TaskRun reservePoolPlace(TaskSpec spec, Placement placement, Instant createdAt, String owner) {
        Pool pool = placement.pool();
        FullPolicy fullPolicy = pool.config().queue().fullPolicy();
        TaskRun victim = null;
        boolean preempted = false;
        TaskRun run;
        synchronized (pool) {
            int capacity = pool.config().queue().capacityOf(spec.priority());
            if (pool.occupied(spec.priority()) >= capacity) {
                victim = chooseVictim(pool, spec.priority(), fullPolicy);
                if (victim == null) {
                    victim = softPreemptionVictim(pool, spec.priority());
                    preempted = victim != null;
                }
                if (victim == null) {
                    observers.each(o -> o.onBackpressure(pool, fullPolicy));
                    throw new SluiceException(backpressure(pool, spec.priority(), fullPolicy));
                }
                pool.queue().remove(victim.queueEntry());
            }
            long position = pool.queue().size();
            Prediction predicted = pool.predict(spec);
            pool.reserve(spec.priority());
            run = new TaskRun(spec, pool, position, predicted.startMs(), createdAt, placement.replicaPreference(), owner);
            run.uncorrectedStartMs(predicted.uncorrectedStartMs());
            run.affineReplica(placement.affineReplica());
        }
        if (preempted) {
            SluiceError err = SluiceError.of(ErrorCode.PREEMPTED,
                            "preempted while waiting: a higher-priority task needed its place in the full queue; resubmit it")
                    .withEngine(pool.engine().wire(), pool.id());
            termination.finish(victim, new TaskEvent.Failed(err), TaskObserver.EndReason.PREEMPTED);
        } else if (victim != null) {
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
     * SCH-5 soft preemption, where the full-queue policy found no task to end: an arriving interactive task takes the
     * place of the batch task that waited least (lower priority is always evicted first; among batch tasks the newest
     * loses the least). O(log n). Under the pool lock.
     */
    private static TaskRun softPreemptionVictim(Pool pool, Priority incoming) {
        if (incoming != Priority.INTERACTIVE) {
            return null;
        }
        return pool.queue().newest(Priority.BATCH).map(FairQueue.Entry::item).orElse(null);
    }

    /**
     * Puts a reserved task into its queue and dispatches: from here on its stream and status are live.
     *
     * @throws SluiceException CONFLICT when this instance already holds a task with that id
     */
    public void activate(TaskRun run) {
        TaskSpec spec = run.spec();
        if (!runs.register(run)) {
            abandon(run);
            throw SluiceException.of(ErrorCode.CONFLICT, "task " + spec.taskId() + " is already known");
        }
        run.admission().resolve(true);
        queueAndDispatch(run);
    }

    /**
     * Puts a reserved task into its queue and dispatches it while its record is still being committed (ADR 0022): the
     * engine's prefill overlaps the commit. The task stays invisible — no stream, status or cancel finds it — and
     * nothing it does is published or stored until {@link #recorded} says the record is durable; {@link #notRecorded}
     * ends it without a trace.
     */
    public void startBeforeRecorded(TaskRun run) {
        queueAndDispatch(run);
    }

    /**
     * The record of a task {@linkplain #startBeforeRecorded started before it was recorded} is durable: the task becomes
     * visible, and what it did meanwhile is published in order.
     *
     * @throws SluiceException CONFLICT when this instance already holds another task with that id (the task is ended)
     */
    public void recorded(TaskRun run) {
        if (!runs.register(run)) {
            notRecorded(run);
            throw SluiceException.of(ErrorCode.CONFLICT, "task " + run.spec().taskId() + " is already known");
        }
        run.admission().resolve(true);
    }

    /**
     * The record of a task {@linkplain #startBeforeRecorded started before it was recorded} will not be written (the
     * write failed, the id was taken, or the session refused it): the engine request is aborted and the task's place
     * freed, and nothing of it is stored or published.
     */
    public void notRecorded(TaskRun run) {
        run.admission().resolve(false);
        SluiceError err = SluiceError.of(ErrorCode.INTERNAL, "the task's admission could not be recorded")
                .withEngine(run.pool().engine().wire(), run.pool().id());
        termination.finish(run, new TaskEvent.Failed(err), TaskObserver.EndReason.NOT_RECORDED);
    }

    private void queueAndDispatch(TaskRun run) {
        Pool pool = run.pool();
        TaskSpec spec = run.spec();
        synchronized (pool) {
            pool.unreserve(spec.priority());
            // Appended under the pool lock: once queued, another thread may dispatch the task at once, and
            // 'started' must precede everything it emits.
            run.log().append(new TaskEvent.Started(run.queuePositionAtAdmission(), run.predictedStartMs(), pool.id(), null,
                    pool.engine().wire()));
            run.queued(pool.queue().enqueue(spec.tenantId(), spec.priority(), run, run.deadlineAtMs()));
            runs.usage(spec.tenantId()).reservedToQueued();
        }
        observers.each(o -> o.onEnqueued(run));
        dispatch(pool);
        // Off the normal path: only an interactive arrival that found no slot looks for a batch task to stop.
        if (spec.priority() == Priority.INTERACTIVE && run.state() == TaskState.QUEUED) {
            preemptRunningBatch(pool, run);
        }
    }

    /**
     * SCH-5 hard preemption (ADR 0027): an interactive task waits because every slot is busy, so the batch task that
     * started last on a replica whose engine declares interruptible decode is stopped, told so on its stream
     * ({@code metrics {preempted: true}} with the tokens it keeps), and put back in its queue, from which it resumes
     * after the text it streamed. Nothing happens where no engine can resume, the task was stopped before, or the
     * waiting tenant could not start a task anyway.
     */
    private void preemptRunningBatch(Pool pool, TaskRun waiting) {
        String waitingTenant = waiting.spec().tenantId();
        if (closed || !mayStart(new FairQueue.FlowKey(waitingTenant, Priority.INTERACTIVE))) {
            return;
        }
        TaskRun victim = null;
        Generation stopped;
        synchronized (pool) {
            if (pool.draining() || waiting.queueEntry() == null) {
                return; // it started meanwhile, or ended
            }
            for (TaskRun r : pool.runningTasks().values()) {
                if (mayStopForResume(r) && (victim == null || r.startedNanos() > victim.startedNanos())) {
                    victim = r;
                }
            }
            if (victim == null) {
                return;
            }
            TaskSpec vs = victim.spec();
            pool.stopRunning(victim);
            victim.replica().release();
            runs.usage(vs.tenantId()).running.decrementAndGet();
            stopped = victim.preemptedHard();
            Map<String, Object> m = new HashMap<>(8);
            m.put("preempted", true);
            m.put("state", "queued");
            m.put("tokens_out", victim.tokensOut());
            m.put("resumable", Map.of("tokens_out", victim.tokensOut()));
            m.put("replica_id", victim.replica().qualifiedId());
            m.put("queue_depth", pool.queueDepth());
            m.put("kv_warmth", victim.kvWarm());
            m.put("on_time_probability", RunExecutor.onTimeProbability(victim));
            // Appended before the task is back in the queue, so it precedes every token of the resumed request.
            victim.log().append(new TaskEvent.Metrics(m));
            victim.queued(pool.queue().enqueue(vs.tenantId(), vs.priority(), victim, victim.deadlineAtMs()));
            runs.usage(vs.tenantId()).queued.incrementAndGet();
        }
        if (stopped != null) {
            stopped.cancel();
        }
        TaskRun preempted = victim;
        observers.each(o -> o.onHardPreempted(preempted));
        dispatch(pool);
    }

    /** Whether a running task may be stopped to resume later: batch, recorded, on an interruptible engine, not stopped before. */
    private static boolean mayStopForResume(TaskRun r) {
        return r.spec().priority() == Priority.BATCH
                && r.hardPreemptions() < TaskRun.MAX_HARD_PREEMPTIONS
                && r.generation() != null
                && r.admission().recorded()
                && !r.log().sealed()
                && r.tokensOut() < r.spec().maxTokens()
                && r.replica() != null
                && r.replica().adapter().interruptibleDecode();
    }

    /** Gives back the place of a reserved task that will not run (its record could not be written). */
    public void abandon(TaskRun run) {
        Pool pool = run.pool();
        synchronized (pool) {
            pool.unreserve(run.spec().priority());
        }
        runs.usage(run.spec().tenantId()).releaseReserved();
    }

    /** Whether a dispatch left tasks waiting for their tenant's concurrency quota, which another pool's end may free. */
    boolean takeHeldBack() {
        boolean was = heldBack;
        heldBack = false;
        return was;
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

    void onDrainingQueue(java.util.function.Consumer<Pool> mover) {
        this.drainingQueue = mover;
    }

    /**
     * Starts queued tasks on free slots, in fair-queue order, until the pool has no free slot. A draining pool starts
     * nothing: a task that reached its queue after the drain began (admitted just before) is moved on at once.
     */
    void dispatch(Pool pool) {
        if (closed) {
            return;
        }
        if (pool.draining()) {
            drainingQueue.accept(pool);
            return;
        }
        List<TaskRun> toStart = new ArrayList<>();
        List<TaskRun> stranded = new ArrayList<>();
        synchronized (pool) {
            if (pool.draining()) {
                return;
            }
            boolean skipped = false;
            while (pool.queue().size() > 0) {
                Optional<FairQueue.Entry<TaskRun>> eligible = pool.queue().peek(this::mayStart);
                if (eligible.isEmpty()) {
                    skipped = true; // every waiting tenant is at its concurrency quota
                    break;
                }
                FairQueue.Entry<TaskRun> entry = eligible.get();
                TaskRun head = entry.item();
                Optional<Replica> replica = pool.place(Set.of(), head.replicaPreference(), head.affineReplica());
                if (replica.isEmpty()) {
                    if (!head.replicaPreference().isEmpty() && !pool.anyReady(head.replicaPreference())) {
                        // Every replica the tenant's route policy allowed is gone: end the task rather than let
                        // it block the queue behind it forever.
                        stranded.add(head);
                        pool.queue().take(entry);
                        continue;
                    }
                    break; // keep arrival order: the head waits for a slot on its allowed replicas
                }
                TaskRun run = head;
                String tenant = run.spec().tenantId();
                if (!runs.usage(tenant).tryStart(limits.runningShare(tenant))) {
                    skipped = true; // another pool started this tenant's last allowed task meanwhile
                    continue;
                }
                pool.queue().take(entry);
                Replica r = replica.get();
                r.acquire();
                run.running(r);
                if (run.hardPreemptions() == 0) { // a resumed task's wait was recorded at its first start
                    pool.estimator().recordWait(run.spec().priority(), run.uncorrectedStartMs(), run.queueTimeMs());
                }
                pool.startRunning(run);
                toStart.add(run);
            }
            if (skipped) {
                heldBack = true;
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

    /**
     * Ends every waiting task of {@code tenant} on this instance with a {@code CANCELED} error naming the reason; its
     * running tasks are left to finish (a disabled tenant, SCH-3).
     *
     * @return how many tasks were ended
     */
    public int cancelQueued(String tenant, String reason) {
        int n = 0;
        for (TaskRun run : runs.unfinished()) {
            if (run.spec().tenantId().equals(tenant) && run.state() == io.sluice.core.task.TaskState.QUEUED) {
                SluiceError err = SluiceError.of(ErrorCode.CANCELED, reason).withEngine(run.pool().engine().wire(), run.pool().id());
                boolean queuedStill;
                while (true) {
                    Pool pool = run.pool();
                    // Taken out of the queue under the pool lock, so it cannot start between this check and its end.
                    synchronized (pool) {
                        if (run.pool() != pool) {
                            continue; // a drain moved it to another pool meanwhile: take it out of that one
                        }
                        queuedStill = run.queueEntry() != null;
                        if (queuedStill) {
                            pool.queue().remove(run.queueEntry());
                            run.queued(null);
                            runs.usage(tenant).queued.decrementAndGet();
                        }
                    }
                    break;
                }
                if (queuedStill && termination.finish(run, new TaskEvent.Failed(err), TaskObserver.EndReason.TENANT_DISABLED)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Whether the tenant of a flow may start one more task here (SCH-3). */
    private boolean mayStart(FairQueue.FlowKey flow) {
        return runs.usage(flow.tenant()).running() < limits.runningShare(flow.tenant());
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
