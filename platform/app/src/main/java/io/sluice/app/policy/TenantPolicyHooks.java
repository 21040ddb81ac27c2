package io.sluice.app.policy;

import io.sluice.app.policy.shadow.ShadowRuntime;
import io.sluice.core.admission.AdmissionSnapshot;
import io.sluice.core.admission.AdmitHook;
import io.sluice.core.admission.RouteHook;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.scheduling.ReplicaCandidate;
import io.sluice.core.task.Priority;
import io.sluice.core.task.TaskSpec;
import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.Hook;
import io.sluice.policy.host.Modifications;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyRef;
import io.sluice.policy.host.RouteInput;
import io.sluice.policy.host.RouteOutcome;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tenant policy steps of admission (POL-1, POL-3): {@code admit} allows, denies or tightens a task;
 * {@code route} orders or narrows its candidate replicas. Failures follow the binding's failure mode:
 * {@code fail_closed} answers 503 POLICY_ERROR, {@code fail_open} admits as if no policy were bound (logged
 * and counted). Both decide on the admission snapshot they are handed and call nothing back. Run off event
 * loops: a call may block up to the host's queue and call time limits.
 */
@ApplicationScoped
public class TenantPolicyHooks implements AdmitHook, RouteHook {
    @Inject
    PolicyRuntime runtime;

    @Inject
    MeterRegistry registry;

    @Inject
    ShadowRuntime shadows;

    @Override
    public Verdict admit(TaskSpec spec, AdmissionSnapshot snapshot) {
        ActiveBinding binding = runtime.bindingFor(spec.tenantId(), Hook.ADMIT);
        if (binding == null) {
            return new Verdict(spec, null, null);
        }
        PolicyModule module = binding.moduleFor(spec.sessionId());
        AdmitInput input = input(spec, snapshot,
                module.descriptor().needsPrompt() || shadows.candidateNeedsPrompt(spec.tenantId(), binding.name()));
        AdmitOutcome outcome = runtime.host().admit(spec.tenantId(), module, input);
        SluiceError.PolicyRef ref = ref(outcome.policy());
        // POL-8: recorded and shadowed after the decision is made, through bounded queues that never block.
        shadows.observe(spec.tenantId(), binding.name(), outcome.policy().version(), liveDecision(binding, outcome), input);
        if (outcome.isError()) {
            return failed(binding, spec, ref, "admit", outcome.error().kind().name().toLowerCase(), outcome.error().message());
        }
        return switch (outcome.decision()) {
            case ALLOW -> new Verdict(spec, ref, "allow");
            case DENY -> throw new SluiceException(SluiceError.of(ErrorCode.POLICY_DENIED,
                            "denied by policy " + ref.name() + " " + ref.version() + ": " + outcome.reason())
                    .withPolicy(ref)
                    .withStage(AdmissionStage.POLICY));
            case MODIFY -> new Verdict(apply(spec, outcome.modifications()), ref, "modify");
        };
    }

    @Override
    public List<String> route(TaskSpec spec, AdmissionSnapshot snapshot, List<ReplicaCandidate> candidates) {
        ActiveBinding binding = runtime.bindingFor(spec.tenantId(), Hook.ROUTE);
        if (binding == null) {
            return List.of();
        }
        PolicyModule module = binding.moduleFor(spec.sessionId());
        List<RouteInput.Candidate> cs = candidates.stream()
                .map(c -> new RouteInput.Candidate(c.replicaId(), c.poolId(), c.engine(), c.freeSlots(), c.labels()))
                .toList();
        RouteInput input = new RouteInput(input(spec, snapshot,
                module.descriptor().needsPrompt() || shadows.candidateNeedsPrompt(spec.tenantId(), binding.name())), cs);
        RouteOutcome outcome = runtime.host().route(spec.tenantId(), module, input);
        // POL-8: recorded and shadowed after the order is chosen, through bounded queues that never block placement.
        shadows.observeRoute(spec.tenantId(), binding.name(), outcome.policy().version(),
                outcome.isError() ? null : outcome.order(), outcome.isError() ? (binding.failOpen() ? "fail_open" : "error") : null, input);
        if (outcome.isError()) {
            failed(binding, spec, ref(outcome.policy()), "route", outcome.error().kind().name().toLowerCase(), outcome.error().message());
            return List.of();
        }
        return outcome.order();
    }

    /** The live decision as shadow reports name it: the policy's decision, or what its failure mode made of an error. */
    private static String liveDecision(ActiveBinding binding, AdmitOutcome outcome) {
        if (outcome.isError()) {
            return binding.failOpen() ? "fail_open" : "error";
        }
        return outcome.decision().name().toLowerCase();
    }

    /** Applies the binding's failure mode to a failed call. */
    private Verdict failed(ActiveBinding binding, TaskSpec spec, SluiceError.PolicyRef ref, String hook, String kind, String message) {
        if (binding.failOpen()) {
            registry.counter("policy.fail_open", "hook", hook).increment();
            return new Verdict(spec, ref, "fail_open");
        }
        throw new SluiceException(SluiceError.of(ErrorCode.POLICY_ERROR,
                        "policy " + ref.name() + " " + ref.version() + " failed (" + kind + "): " + message)
                .withPolicy(ref)
                .withRetryAfter(1_000L)
                .withStage(AdmissionStage.POLICY));
    }

    private static SluiceError.PolicyRef ref(PolicyRef p) {
        return new SluiceError.PolicyRef(p.name(), p.version(), "sha256:" + p.digest());
    }

    /** The explicit inputs a policy decides on (POL-1): the prompt only when the policy declared it needs it. */
    private static AdmitInput input(TaskSpec spec, AdmissionSnapshot snapshot, boolean withPrompt) {
        String prompt = spec.prompt() == null ? "" : spec.prompt();
        return new AdmitInput(
                new AdmitInput.Tenant(spec.tenantId(), snapshot.tenant().tier(), snapshot.tenant().labels()),
                new AdmitInput.Request(spec.taskId(), spec.sessionId(), spec.workload().wire(), spec.modelRef(),
                        spec.engine() == null ? null : spec.engine().wire(),
                        spec.priority() == Priority.BATCH ? io.sluice.policy.host.Priority.BATCH : io.sluice.policy.host.Priority.INTERACTIVE,
                        spec.maxTokens(), spec.deadlineMs(), spec.ctx() == null ? 0 : spec.ctx(), spec.labels(),
                        prompt.codePointCount(0, prompt.length()), withPrompt ? prompt : null),
                new AdmitInput.Snapshot(snapshot.hostTimeMs(),
                        new AdmitInput.Quota(snapshot.tenantRunning(), snapshot.tenantQueued(), null, null, 0, null),
                        snapshot.queueDepths(),
                        new AdmitInput.Model(spec.modelRef(), snapshot.modelState())));
    }

    /** Applies a tightening the host already checked (max_tokens, priority, deadline only lower; labels only added). */
    private static TaskSpec apply(TaskSpec spec, Modifications m) {
        TaskSpec out = spec;
        if (m.maxTokens() != null) {
            out = out.withMaxTokens(m.maxTokens());
        }
        if (m.priority() == io.sluice.policy.host.Priority.BATCH) {
            out = out.withPriority(Priority.BATCH);
        }
        if (m.deadlineMs() != null) {
            out = out.withDeadlineMs(m.deadlineMs());
        }
        if (!m.labels().isEmpty()) {
            Map<String, String> labels = new HashMap<>(out.labels());
            labels.putAll(m.labels());
            out = out.withLabels(labels);
        }
        return out;
    }
}
