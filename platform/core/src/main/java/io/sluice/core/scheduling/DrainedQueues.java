package io.sluice.core.scheduling;

import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.stream.TaskEvent;
import io.sluice.core.task.TaskSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Empties the queue of a draining pool (POOL-3): every task still waiting for it on this instance moves to another
 * Ready pool serving its model, or ends with a retriable {@code POOL_UNAVAILABLE} at once when none can take it — it is
 * never left waiting for a pool that will not dispatch again.
 *
 * <p>Tasks move in the order the drained queue would have dispatched them ({@link FairQueue#inTagOrder}), so among
 * themselves they keep their fair-queue order. Virtual time is per queue, so in the target they are fair-queued afresh
 * with its waiting flows: each joins its tenant's flow there behind what that flow already waits with. A task moves
 * only to a pool that passes what admission would have checked — Ready and not draining, the task's engine and sampling
 * parameters served ({@link PoolRegistry#eligible}), its ctx and token budget within the pool's ({@code ADM-3}) — and
 * whose queue has room for its priority; the least loaded such pool wins. A task that a tenant route policy narrowed to
 * replicas of the drained pool is not moved: the policy chose those replicas, not the model.
 *
 * <p>A task changes pools under the locks of both, taken in pool-id order, so the move is atomic for every reader that
 * locks a task's pool (cancel, termination, dispatch).
 */
final class DrainedQueues {
    private final PoolRegistry pools;
    private final TaskTermination termination;
    private final Consumer<Pool> dispatch;
    /**
     * Pools being emptied now. Ending a task dispatches its pool, which for a draining pool calls {@link #empty} again on
     * the same thread; that call, and one on another thread meanwhile, leave the work to the running one, which looks
     * again for late arrivals before it returns.
     */
    private final java.util.Set<Pool> emptying = java.util.concurrent.ConcurrentHashMap.newKeySet();

    DrainedQueues(PoolRegistry pools, TaskTermination termination, Consumer<Pool> dispatch) {
        this.pools = pools;
        this.termination = termination;
        this.dispatch = dispatch;
    }

    /** Moves or ends every task waiting for {@code drained}; does nothing when the pool is not draining. */
    void empty(Pool drained) {
        java.util.Set<FairQueue.Entry<TaskRun>> seen = new java.util.HashSet<>();
        while (emptying.add(drained)) {
            try {
                List<FairQueue.Entry<TaskRun>> waiting;
                synchronized (drained) {
                    if (!drained.draining() || drained.queue().size() == 0) {
                        return;
                    }
                    waiting = drained.queue().inTagOrder();
                }
                seen.addAll(waiting);
                moveOrEnd(drained, waiting);
            } finally {
                emptying.remove(drained);
            }
            // A task that reached the queue meanwhile found this call at work and left it here. Entries seen already are
            // being ended by another thread (their streams are sealed); they leave the queue by themselves.
            synchronized (drained) {
                if (!drained.draining() || seen.containsAll(drained.queue().inTagOrder())) {
                    return;
                }
            }
        }
    }

    private void moveOrEnd(Pool drained, List<FairQueue.Entry<TaskRun>> waiting) {
        List<Pool> targets = new ArrayList<>(2);
        for (FairQueue.Entry<TaskRun> entry : waiting) {
            TaskRun run = entry.item();
            Pool target = target(run, drained);
            if (target != null && move(run, entry, drained, target)) {
                if (!targets.contains(target)) {
                    targets.add(target);
                }
                continue;
            }
            if (stillWaiting(run, entry, drained)) {
                SluiceError err = SluiceError.of(ErrorCode.POOL_UNAVAILABLE, "pool " + drained.id() + " is draining and no other Ready pool"
                                + " serving " + run.spec().modelRef() + " can take the task; resubmit it")
                        .withEngine(drained.engine().wire(), drained.id())
                        .withRetryAfter(5_000L);
                termination.finish(run, new TaskEvent.Failed(err), TaskObserver.EndReason.DRAINED);
            }
        }
        for (Pool p : targets) {
            dispatch.accept(p);
        }
    }

    private static boolean stillWaiting(TaskRun run, FairQueue.Entry<TaskRun> entry, Pool drained) {
        synchronized (drained) {
            return run.pool() == drained && run.queueEntry() == entry;
        }
    }

    /** The least loaded pool that could take the task now, or null. */
    private Pool target(TaskRun run, Pool drained) {
        if (!run.replicaPreference().isEmpty()) {
            return null;
        }
        TaskSpec spec = run.spec();
        List<Pool> serving = pools.poolsServing(spec);
        serving.remove(drained);
        if (serving.isEmpty()) {
            return null;
        }
        List<Pool> eligible;
        try {
            eligible = pools.eligible(spec, serving);
        } catch (SluiceException noneServesItsParameters) {
            return null;
        }
        return PlacementPlanner.leastLoadedReady(eligible, p -> fits(spec, p));
    }

    private static boolean fits(TaskSpec spec, Pool p) {
        try {
            PlacementPlanner.checkLimits(spec, p);
            return true;
        } catch (SluiceException outsideItsLimits) {
            return false;
        }
    }

    /** Moves the task from {@code drained}'s queue to {@code target}'s; false when it no longer waits or no longer fits. */
    private static boolean move(TaskRun run, FairQueue.Entry<TaskRun> entry, Pool drained, Pool target) {
        Pool first = drained.id().compareTo(target.id()) < 0 ? drained : target;
        Pool second = first == drained ? target : drained;
        synchronized (first) {
            synchronized (second) {
                if (run.pool() != drained || run.queueEntry() != entry || run.log().sealed() || target.draining()) {
                    return false;
                }
                TaskSpec spec = run.spec();
                if (target.occupied(spec.priority()) >= target.config().queue().capacityOf(spec.priority())) {
                    return false;
                }
                drained.queue().remove(entry);
                run.movedTo(target, target.queue().enqueue(spec.tenantId(), spec.priority(), run, run.deadlineAtMs()));
                return true;
            }
        }
    }
}
