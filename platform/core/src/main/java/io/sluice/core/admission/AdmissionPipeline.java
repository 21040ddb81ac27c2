package io.sluice.core.admission;

import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.scheduling.Pool;
import io.sluice.core.scheduling.TaskScheduler;
import io.sluice.core.task.TaskRequest;
import io.sluice.core.task.TaskSpec;
import io.sluice.core.task.TaskValidator;
import java.util.List;

/**
 * Admission in the order of SPEC ADM-2: (authenticate, done by the caller) → validate → resolve model →
 * tenant policy {@code admit} → quotas → deadline feasibility and placement. The last step, enqueue, is
 * {@link TaskScheduler#enqueue} and is left to the caller so it can record the task durably first (REL-2).
 *
 * <p>Every rejection is a {@link SluiceException} whose error names the stage that rejected. Thread-safe.
 */
public final class AdmissionPipeline {
    private final TaskScheduler scheduler;
    private final AdmitHook policy;
    private final QuotaGate quotas;
    private final RouteHook route;

    public AdmissionPipeline(TaskScheduler scheduler, AdmitHook policy, QuotaGate quotas, RouteHook route) {
        this.scheduler = scheduler;
        this.policy = policy;
        this.quotas = quotas;
        this.route = route;
    }

    /**
     * A task that passed every admission step and is ready to be enqueued.
     *
     * @param policy the admit policy version that decided, null when none is bound
     * @param policyDecision allow, modify or fail_open; null when no admit policy is bound
     */
    public record Admitted(TaskSpec spec, TaskScheduler.Placement placement, SluiceError.PolicyRef policy, String policyDecision) {}

    public Admitted evaluate(TaskRequest request, String tenantId) {
        return evaluate(stage(AdmissionStage.VALIDATE, () -> TaskValidator.validate(request, tenantId)));
    }

    /** Admission of an already validated task (the caller ran {@link TaskValidator} itself). */
    public Admitted evaluate(TaskSpec spec) {
        List<Pool> pools = scheduler.poolsServing(spec);
        if (pools.isEmpty()) {
            throw new SluiceException(SluiceError.of(ErrorCode.NOT_FOUND, "no model '" + spec.modelRef() + "'"
                            + (spec.engine() == null ? "" : " on engine " + spec.engine().wire()) + " is served here")
                    .withField("model_ref")
                    .withStage(AdmissionStage.RESOLVE_MODEL));
        }
        AdmitHook.Verdict verdict = stage(AdmissionStage.POLICY, () -> policy.admit(spec, pools));
        TaskSpec admitted = verdict.spec();
        stage(AdmissionStage.QUOTA, () -> {
            quotas.check(admitted);
            return null;
        });
        List<String> preference = stage(AdmissionStage.POLICY, () -> {
            var candidates = scheduler.routeCandidates(pools);
            return candidates.isEmpty() ? List.<String>of() : route.route(admitted, candidates);
        });
        TaskScheduler.Placement placement = stage(AdmissionStage.DEADLINE, () -> scheduler.place(admitted, pools, preference));
        return new Admitted(admitted, placement, verdict.policy(), verdict.decision());
    }

    /** Runs one step, labelling its rejections with the step unless they already name one. */
    private static <T> T stage(AdmissionStage stage, java.util.function.Supplier<T> step) {
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
