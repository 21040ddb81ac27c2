package io.sluice.policy.host.internal;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.internal.abi.AbiJson;
import io.sluice.policy.host.internal.abi.GuestInputs;
import io.sluice.policy.host.internal.abi.AbiSchemas;
import io.sluice.policy.host.internal.abi.OutputValidator;
import io.sluice.policy.host.internal.wasm.CompiledPolicy;
import io.sluice.policy.host.internal.wasm.GuestInstance;

/**
 * Runs one guest instance on the calling thread, step by step, without the worker hand-off and without
 * any time limit. Backs {@link io.sluice.policy.host.diagnostics.StepwiseCall}, the supported entry for
 * benchmarks; never for tenant traffic. Not thread-safe.
 */
public final class DirectCall {
    private final CompiledPolicy policy;
    private final GuestInstance instance;
    private final AbiSchemas schemas = AbiSchemas.get();

    private DirectCall(CompiledPolicy policy, GuestInstance instance) {
        this.policy = policy;
        this.instance = instance;
    }

    /** A fresh instance of a module compiled by a host (memory budget and log bound as given). */
    public static DirectCall of(PolicyModule module, long memoryBytes, int logBytes) {
        if (!(module instanceof CompiledPolicy p)) {
            throw new IllegalArgumentException("module was not compiled by a policy host: " + module);
        }
        return new DirectCall(p, p.instantiateUnpooled(memoryBytes, logBytes));
    }

    /** Step 1: typed input to ABI JSON bytes. */
    public static AbiJson.EncodedInput encode(AdmitInput input, boolean includePrompt) {
        return AbiJson.encodeAdmit(input, includePrompt);
    }

    /** Step 1 for this module: the typed input in the layout its ABI version reads (JSON for 1.0). */
    public AbiJson.EncodedInput encodeFor(AdmitInput input) {
        return GuestInputs.admit(policy.descriptor(), input);
    }

    /** Step 2: the Extism call (input copy, guest code, output copy); returns the output bytes. */
    public byte[] call(AbiJson.EncodedInput input) {
        GuestInstance.RawResult r = instance.call("admit", input.json(), input.facts().timeMs(), input.facts().randomSeed(), 64 * 1024);
        if (r.returnedError() || r.output() == null) {
            throw new IllegalStateException("guest failed: " + r.guestError());
        }
        return r.output();
    }

    /**
     * The same for any export of the module (test plugins export more than the hooks). A trap ends as an
     * {@link IllegalStateException} carrying the guest's error message; the instance is unusable afterwards.
     */
    public byte[] callExport(String export, AbiJson.EncodedInput input) {
        GuestInstance.RawResult r;
        try {
            r = instance.call(export, input.json(), input.facts().timeMs(), input.facts().randomSeed(), 64 * 1024);
        } catch (RuntimeException trap) {
            throw new IllegalStateException("guest trapped: " + instance.guestErrorMessage(), trap);
        }
        if (r.returnedError() || r.output() == null) {
            throw new IllegalStateException("guest failed: " + r.guestError());
        }
        return r.output();
    }

    /** The same for the {@code route} export. */
    public byte[] callRoute(AbiJson.EncodedInput input) {
        GuestInstance.RawResult r = instance.call("route", input.json(), input.facts().timeMs(), input.facts().randomSeed(), 64 * 1024);
        if (r.returnedError() || r.output() == null) {
            throw new IllegalStateException("guest failed: " + r.guestError());
        }
        return r.output();
    }

    /** Step 3: output checks (JSON, schema, tightening rules); returns the decision label. */
    public String validate(byte[] output, AbiJson.EncodedInput input) {
        try {
            return OutputValidator.admit(output, input.facts(), schemas).decision().wireName();
        } catch (OutputValidator.InvalidOutput e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Bytes the JVM holds for this instance's guest and kernel memories (what its memory budget counts). */
    public long memoryReservedBytes() {
        return instance.memoryReservedBytes();
    }

    public String policyName() {
        return policy.descriptor().name();
    }
}
