package io.sluice.core.admission;

import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.scheduling.Placement;
import io.sluice.core.scheduling.PlacementPlanner;
import io.sluice.core.scheduling.Pool;
import io.sluice.core.scheduling.PoolRegistry;
import io.sluice.core.scheduling.ReplicaCandidate;
import io.sluice.core.scheduling.RunRegistry;
import io.sluice.core.scheduling.TenantUsage;
import io.sluice.core.task.TaskSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Admission of a validated task in the order of SPEC ADM-2: resolve model → tenant policy {@code admit} → quotas
 * → (tenant policy {@code route}) → deadline feasibility and placement. The snapshot every step decides on is
 * taken once, here, and passed in; no step calls back. Enqueue is left to the caller, which makes the task
 * durable around it (REL-2).
 *
 * <p>Every rejection is a {@link SluiceException} whose error names the stage that rejected. Thread-safe; a
 * policy step may run for milliseconds, so callers keep this off event loops when a policy is bound.
 */
public final class AdmissionPipeline {
    private final PoolRegistry pools;
    private final RunRegistry runs;
    private final PlacementPlanner planner;
    private final AdmitHook policy;
    private final QuotaGate quotas;
    private final RouteHook route;
    private final LongSupplier clockMs;

    public AdmissionPipeline(
            PoolRegistry pools, RunRegistry runs, PlacementPlanner planner, AdmitHook policy, QuotaGate quotas, RouteHook route,
            LongSupplier clockMs) {
        this.pools = pools;
        this.runs = runs;
        this.planner = planner;
        this.policy = policy;
        this.quotas = quotas;
        this.route = route;
        this.clockMs = clockMs;
    }

    /**
     * A task that passed every admission step and is ready to be enqueued.
     *
     * @param policy the admit policy version that decided, null when none is bound
     * @param policyDecision allow, modify or fail_open; null when no admit policy is bound
     */
    public record Admitted(TaskSpec spec, Placement placement, SluiceError.PolicyRef policy, String policyDecision) {}

    public Admitted evaluate(TaskSpec spec, TenantSnapshot tenant) {
        List<Pool> named = pools.poolsServing(spec);
        if (named.isEmpty()) {
            throw new SluiceException(SluiceError.of(ErrorCode.NOT_FOUND, "no model '" + spec.modelRef() + "'"
                            + (spec.engine() == null ? "" : " on engine " + spec.engine().wire()) + " is served here")
                    .withField("model_ref")
                    .withStage(AdmissionStage.RESOLVE_MODEL));
        }
        // Only pools serving the task's sampler profile and honouring its sampling parameters (POOL-1, DET-1).
        List<Pool> serving = pools.eligible(spec, named);
        // What no pool could take whatever the load is refused before the policy runs and the quotas are charged.
        planner.precheck(spec, serving);
        AdmissionSnapshot snapshot = snapshot(tenant, serving);
        AdmitHook.Verdict verdict = stage(AdmissionStage.POLICY, () -> policy.admit(spec, snapshot));
        TaskSpec admitted = verdict.spec();
        stage(AdmissionStage.QUOTA, () -> {
            quotas.check(admitted, snapshot);
            return null;
        });
        try {
            List<String> preference = stage(AdmissionStage.POLICY, () -> {
                List<ReplicaCandidate> candidates = pools.routeCandidates(serving);
                return candidates.isEmpty() ? List.<String>of() : route.route(admitted, snapshot, candidates);
            });
            Placement placement = stage(AdmissionStage.DEADLINE, () -> planner.place(admitted, serving, preference));
            return new Admitted(admitted, placement, verdict.policy(), verdict.decision());
        } catch (RuntimeException refused) {
            // A task refused after the quota step was not admitted: it spends none of the tenant's rate.
            quotas.refund(admitted);
            throw refused;
        }
    }

    /**
     * Undoes what {@link #evaluate} charged for a task that is not admitted after all: its record was not written, or
     * the record found under its id was an earlier submission of it (a re-post, whose answer is the stored one).
     */
    public void notAdmitted(Admitted admitted) {
        quotas.refund(admitted.spec());
    }

    private AdmissionSnapshot snapshot(TenantSnapshot tenant, List<Pool> serving) {
        Map<String, Integer> depths = new LinkedHashMap<>();
        for (Pool p : serving) {
            depths.put(p.id(), p.queueDepth());
        }
        TenantUsage usage = runs.usage(tenant.id());
        return new AdmissionSnapshot(clockMs.getAsLong(), tenant, usage.queued(), usage.running(), depths, "Active");
    }

    /** Runs one step, labelling its rejections with the step unless they already name one. */
    private static <T> T stage(AdmissionStage stage, Supplier<T> step) {
        try {
            return step.get();
        } catch (SluiceException e) {
            if (e.error().stage() != null) {
                throw e;
            }
            throw new SluiceException(e.error().withStage(stage), e);
        }
    }
}
