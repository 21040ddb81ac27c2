package io.sluice.core.scheduling;

import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.task.TaskSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import io.sluice.core.task.KvHint;

/**
 * Admission's last step before enqueue: picks the pool for a task and checks that it fits (ADM-3 token budget,
 * ADM-8 readiness, SCH-4 deadline, SCH-6 placement). Pure decisions over pool snapshots; thread-safe.
 */
public final class PlacementPlanner {
    /** Session → the replica that served it last (SES-3); set once by the application, read per admission. */
    private volatile Function<TaskSpec, String> affinity = spec -> null;

    /**
     * Where to look up the replica that served a task's session last ({@code <pool>/<replica>}, or null). Called on
     * the admission thread: it must answer from memory.
     */
    public void useAffinity(Function<TaskSpec, String> lookup) {
        this.affinity = lookup == null ? spec -> null : lookup;
    }

    /**
     * Picks the pool among {@code candidates}: Ready pools only, least loaded first, ties by id. When a tenant
     * route policy chose replicas ({@code replicaPreference}, preferred first), the pool of the first preferred
     * Ready replica wins. Otherwise a task asking for KV reuse goes to the pool of the replica that served its session
     * last while that replica is Ready (SES-3, SCH-6 "session affinity first"), and prefers that replica at dispatch.
     *
     * @throws SluiceException POOL_UNREADY, POOL_UNAVAILABLE (ADM-8), INVALID_PARAMS or DEADLINE_UNMET
     */
    public Placement place(TaskSpec spec, List<Pool> candidates, List<String> replicaPreference) {
        if (!replicaPreference.isEmpty()) {
            List<Pool> routed = new ArrayList<>();
            for (String qualified : replicaPreference) {
                for (Pool p : candidates) {
                    if (qualified.startsWith(p.id() + "/") && p.ready() && !routed.contains(p)) {
                        routed.add(p);
                    }
                }
            }
            if (!routed.isEmpty()) {
                Pool chosen = routed.get(0);
                List<String> inPool = replicaPreference.stream().filter(q -> q.startsWith(chosen.id() + "/")).toList();
                Placement p = placeOn(spec, List.of(chosen), candidates);
                return new Placement(p.pool(), p.queuePosition(), p.predictedStartMs(), inPool);
            }
        }
        if (spec.kvHint() == KvHint.REUSE) {
            Placement affine = placeAffine(spec, candidates);
            if (affine != null) {
                return affine;
            }
        }
        return placeOn(spec, candidates, candidates);
    }

    /** Placement on the pool of the session's last replica while it is Ready, or null when that does not apply. */
    private Placement placeAffine(TaskSpec spec, List<Pool> candidates) {
        String last = affinity.apply(spec);
        if (last == null) {
            return null;
        }
        for (Pool p : candidates) {
            if (!last.startsWith(p.id() + "/") || !p.ready()) {
                continue;
            }
            for (Replica r : p.replicas()) {
                if (r.qualifiedId().equals(last) && r.state() == ReplicaState.READY) {
                    try {
                        Placement placed = placeOn(spec, List.of(p), candidates);
                        return new Placement(placed.pool(), placed.queuePosition(), placed.predictedStartMs(), List.of(), last);
                    } catch (SluiceException e) {
                        // The affine pool cannot take it (deadline under its load): affinity is a preference, not a rule.
                        return null;
                    }
                }
            }
        }
        return null;
    }

    /**
     * The part of placement that does not depend on load, for admission to run before the tenant policy and quotas
     * (ADM-2): refuses a task that no candidate could take whatever the load — POOL_UNAVAILABLE or POOL_UNREADY (stage
     * resolve_model) when none is Ready, INVALID_PARAMS (stage validate, ADM-3) when no Ready one accepts its ctx and
     * token budget. {@link #place} checks the chosen pool again.
     */
    public void precheck(TaskSpec spec, List<Pool> candidates) {
        SluiceException refusal = null;
        for (Pool p : candidates) {
            if (!p.ready()) {
                continue;
            }
            try {
                checkLimits(spec, p);
                return;
            } catch (SluiceException e) {
                if (refusal == null) {
                    refusal = e;
                }
            }
        }
        throw refusal != null ? refusal : unavailable(spec, candidates);
    }

    private Placement placeOn(TaskSpec spec, List<Pool> eligible, List<Pool> candidates) {
        Pool pool = leastLoadedReady(eligible);
        if (pool == null) {
            throw unavailable(spec, candidates);
        }
        checkLimits(spec, pool);
        long position;
        Prediction prediction;
        synchronized (pool) {
            position = pool.queue().size();
            prediction = pool.predict(spec);
        }
        checkDeadline(spec, pool, prediction);
        long predictedStart = prediction.startMs();
        return new Placement(pool, position, predictedStart, List.of());
    }

    /** ADM-3: ctx within the pool's limit, prompt plus max_tokens within the context. */
    static void checkLimits(TaskSpec spec, Pool pool) {
        Integer ctxMax = pool.ctxMax();
        int ctx = spec.ctx() != null ? spec.ctx() : (ctxMax != null ? ctxMax : Integer.MAX_VALUE);
        if (ctxMax != null && spec.ctx() != null && spec.ctx() > ctxMax) {
            throw SluiceException.invalid("ctx", "ctx " + spec.ctx() + " is above the limit " + ctxMax + " of pool " + pool.id());
        }
        long budget = (long) spec.estimatedPromptTokens() + spec.maxTokens();
        if (budget > ctx) {
            throw SluiceException.invalid("max_tokens", "prompt (~" + spec.estimatedPromptTokens() + " tokens) plus max_tokens "
                    + spec.maxTokens() + " exceeds the token budget " + ctx);
        }
    }

    private static Pool leastLoadedReady(List<Pool> eligible) {
        return leastLoadedReady(eligible, p -> true);
    }

    /**
     * The Ready pool of {@code eligible} with the lowest load that {@code accepts}, ties to the lowest pool id; null when
     * none. Admission places with it, and a drain moves waiting tasks with it ({@link DrainedQueues}).
     */
    static Pool leastLoadedReady(List<Pool> eligible, java.util.function.Predicate<Pool> accepts) {
        Pool best = null;
        double bestLoad = Double.MAX_VALUE;
        for (Pool p : eligible) {
            if (!p.ready() || !accepts.test(p)) {
                continue;
            }
            double load = p.load();
            if (best == null || load < bestLoad || (load == bestLoad && p.id().compareTo(best.id()) < 0)) {
                best = p;
                bestLoad = load;
            }
        }
        return best;
    }

    private static SluiceException unavailable(TaskSpec spec, List<Pool> candidates) {
        boolean warming = candidates.stream().anyMatch(p -> !p.draining() && p.warmingUp());
        Pool first = candidates.get(0);
        SluiceError e = SluiceError.of(
                        warming ? ErrorCode.POOL_UNREADY : ErrorCode.POOL_UNAVAILABLE,
                        warming
                                ? "no replica serving " + spec.modelRef() + " is ready yet; replicas are still loading"
                                : "no replica can serve " + spec.modelRef() + " (all replicas down or draining)")
                .withEngine(first.engine().wire(), first.id())
                .withRetryAfter(warming ? 1_000L : 5_000L)
                .withStage(AdmissionStage.RESOLVE_MODEL);
        return new SluiceException(e);
    }

    /**
     * SCH-4: refuses a task its pool is predicted to finish after its deadline — 422 without {@code fits_at_ms} when
     * even the idle pool could not, else 429 saying when the work ahead will have drained enough. A pool that has not
     * measured its service yet admits everything: refusing on a guess would be worse than a late task.
     */
    private static void checkDeadline(TaskSpec spec, Pool pool, Prediction p) {
        if (!p.measured()) {
            return;
        }
        long expected = Pool.expectedTokens(spec);
        if (p.idleCompletionMs() > spec.deadlineMs()) {
            throw new SluiceException(new SluiceError(ErrorCode.DEADLINE_UNMET,
                    "even an idle pool needs ~" + p.idleCompletionMs() + " ms for " + expected + " tokens; deadline_ms is "
                            + spec.deadlineMs(),
                    false, "deadline_ms", pool.engine().wire(), pool.id(), null, null, AdmissionStage.DEADLINE, null, null));
        }
        // On the lower bound (the work waiting now, ADR 0029): the forecast of later arrivals tells the client when it
        // will probably start, but must not refuse a task that fits if those arrivals do not come.
        if (p.waitingOnlyCompletionMs() > spec.deadlineMs()) {
            long fitsAt = p.waitingOnlyCompletionMs() - spec.deadlineMs();
            throw new SluiceException(SluiceError.of(ErrorCode.DEADLINE_UNMET,
                            "predicted completion in ~" + p.waitingOnlyCompletionMs() + " ms, behind the work waiting now, misses deadline_ms "
                                    + spec.deadlineMs())
                    .withEngine(pool.engine().wire(), pool.id())
                    .withRetryAfter(fitsAt)
                    .withFitsAt(fitsAt)
                    .withStage(AdmissionStage.DEADLINE));
        }
    }
}
