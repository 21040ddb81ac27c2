package io.sluice.policy.host.diagnostics;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.RouteInput;
import io.sluice.policy.host.internal.abi.AbiBinary;
import io.sluice.policy.host.internal.abi.AbiJson;
import io.sluice.policy.host.internal.DirectCall;

/**
 * One guest instance of a compiled module, called one step at a time — encode the input, run the Extism
 * call, check the output — so that a benchmark or a profiler can see where the time of a policy call
 * goes. This is the supported way for tools outside the host to reach those steps; the classes behind
 * it are internal and change without notice.
 *
 * <p><b>Not for tenant traffic:</b> there is no time limit, no tenant bound, no pool and no telemetry; a
 * guest that loops forever blocks the calling thread for good. Memory and log bounds are those of the
 * limits given. Not thread-safe: one instance per thread.
 */
public final class StepwiseCall {
    private final DirectCall direct;

    private StepwiseCall(DirectCall direct) {
        this.direct = direct;
    }

    /**
     * A fresh instance of {@code module} with the memory budget and log bound of {@code limits}.
     *
     * @throws IllegalArgumentException if the module was not compiled by a {@link io.sluice.policy.host.PolicyHost}
     */
    public static StepwiseCall of(PolicyModule module, PolicyLimits limits) {
        return new StepwiseCall(DirectCall.of(module, limits.memoryBytes(), limits.logBytesPerCall()));
    }

    /** Step 1: the typed admit input to ABI 1.0 JSON, the prompt included only if asked for. */
    public static EncodedInput encodeAdmit(AdmitInput input, boolean includePrompt) {
        return new EncodedInput(AbiJson.encodeAdmit(input, includePrompt));
    }

    /**
     * Step 1 as the host does it for this module: JSON for an ABI 1.0 module, the slot layout for 1.1
     * (policy-sdk/ABI.md section 12), the prompt included only if the module needs it.
     */
    public EncodedInput encode(AdmitInput input) {
        return new EncodedInput(direct.encodeFor(input));
    }

    /** Step 1 in the ABI 1.1 slot layout (policy-sdk/ABI.md section 12), whatever module reads it. */
    public static EncodedInput encodeAdmitSlots(AdmitInput input, boolean includePrompt) {
        return new EncodedInput(AbiBinary.encodeAdmit(input, includePrompt));
    }

    /** Step 1 for the route hook. */
    public static EncodedInput encodeRoute(RouteInput input, boolean includePrompt) {
        return new EncodedInput(AbiJson.encodeRoute(input, includePrompt));
    }

    /**
     * Step 2: the Extism call of {@code admit} (input, guest code, output copy).
     *
     * @return the guest's output bytes
     * @throws IllegalStateException if the guest failed or returned no output
     */
    public byte[] callAdmit(EncodedInput input) {
        return direct.call(input.encoded);
    }

    /** Step 2 for the {@code route} export. */
    public byte[] callRoute(EncodedInput input) {
        return direct.callRoute(input.encoded);
    }

    /**
     * Step 3: the host's checks of an admit output (JSON, schema, tighten-only rules).
     *
     * @return the decision's wire name ({@code allow}, {@code deny} or {@code modify})
     * @throws IllegalStateException if the output would be refused
     */
    public String checkAdmit(byte[] output, EncodedInput input) {
        return direct.validate(output, input.encoded);
    }

    /** The module's name as its {@code describe} gives it. */
    public String policyName() {
        return direct.policyName();
    }
}
