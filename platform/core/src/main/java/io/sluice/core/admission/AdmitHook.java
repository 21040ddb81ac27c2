package io.sluice.core.admission;

import io.sluice.core.error.SluiceError;
import io.sluice.core.task.TaskSpec;

/**
 * The tenant policy step of admission (SPEC ADM-2, POL-1): may allow, deny or tighten a task. It decides on what
 * it is given and never calls back into the caller. {@link #NONE} admits everything unchanged.
 */
public interface AdmitHook {
    AdmitHook NONE = (spec, snapshot) -> new Verdict(spec, null, null);

    /**
     * @param spec the validated task
     * @param snapshot the state admission decides on
     * @return the task to admit (possibly tightened) and the policy that decided, if any
     * @throws io.sluice.core.error.SluiceException POLICY_DENIED or POLICY_ERROR
     */
    Verdict admit(TaskSpec spec, AdmissionSnapshot snapshot);

    /**
     * Result of the policy step.
     *
     * @param spec the task to admit, possibly tightened
     * @param policy the policy version that decided, or null when no policy is bound
     * @param decision {@code allow}, {@code modify} or {@code fail_open} (the policy failed and its binding
     *     admits anyway); null when no policy is bound
     */
    record Verdict(TaskSpec spec, SluiceError.PolicyRef policy, String decision) {}
}
