package io.sluice.policy.host.internal;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.FixtureResult;
import io.sluice.policy.host.Hook;
import io.sluice.policy.host.PolicyDescriptor;
import io.sluice.policy.host.PolicyErrorKind;
import io.sluice.policy.host.PolicyFixture;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyValidationException.Reason;
import io.sluice.policy.host.PolicyValidationException;
import io.sluice.policy.host.internal.PolicyCalls.Caller;
import io.sluice.policy.host.internal.abi.AbiJson.EncodedInput;
import io.sluice.policy.host.internal.abi.GuestInputs;
import io.sluice.policy.host.internal.abi.AbiSchemas;
import io.sluice.policy.host.internal.abi.DescribeOutput;
import io.sluice.policy.host.internal.abi.WarmUpInputs;
import io.sluice.policy.host.internal.call.CallExecutor;
import io.sluice.policy.host.internal.call.CallResult;
import io.sluice.policy.host.internal.wasm.CompiledPolicy;
import io.sluice.policy.host.internal.wasm.ModuleCompiler;
import io.sluice.policy.host.internal.wasm.ModuleShape;
import java.util.List;
import java.util.Set;

/**
 * Decides whether an uploaded module is accepted (SPEC POL-4): size, then {@link ModuleCompiler}'s static
 * checks and compilation, then what only running it can show — {@code describe} constant and valid,
 * hooks consistent with exports, the tenant's fixtures passing — and finally warm-up calls so that the
 * JVM has compiled the module's bytecode before traffic arrives. Upload-time calls run in their own pool
 * and are not reported to telemetry.
 *
 * <p>Thread-safe.
 */
final class ModuleUpload {
    private static final byte[] NO_INPUT = new byte[0];
    /** The ABI's export every module has (section 4); not a hook, so not in {@code Hook}. */
    private static final String DESCRIBE_EXPORT = "describe";

    private final PolicyLimits limits;
    private final ModuleCompiler compiler;
    private final CallExecutor executor;
    private final PolicyCalls calls;
    private final AbiSchemas schemas;
    /** Digests refused for their bytes, newest last; bounded so that a flood of distinct bytes cannot grow it. */
    private final RefusedDigests refused = new RefusedDigests(REMEMBERED_REFUSALS);
    static final int REMEMBERED_REFUSALS = 4096;

    ModuleUpload(PolicyLimits limits, ModuleCompiler compiler, CallExecutor executor, PolicyCalls calls, AbiSchemas schemas) {
        this.limits = limits;
        this.compiler = compiler;
        this.executor = executor;
        this.calls = calls;
        this.schemas = schemas;
    }

    CompiledPolicy accept(byte[] wasm, List<PolicyFixture> fixtures) throws PolicyValidationException {
        if (wasm.length > limits.moduleBytes()) {
            throw new PolicyValidationException(Reason.TOO_LARGE, "module is " + wasm.length
                    + " bytes; the limit is " + limits.moduleBytes() + " bytes");
        }
        String digest = ModuleCompiler.sha256(wasm);
        CompiledPolicy known = compiler.accepted(digest);
        if (known != null) {
            runFixtures(known, fixtures);
            return known;
        }
        PolicyValidationException before = refused.get(digest);
        if (before != null) {
            throw new PolicyValidationException(before.reason(), before.getMessage() + PolicyValidationException.REFUSED_BEFORE);
        }
        try {
            return check(wasm, digest, fixtures);
        } catch (PolicyValidationException e) {
            if (e.remembered()) {
                refused.put(digest, e);
            }
            throw e;
        }
    }

    /** Remembers a refusal made elsewhere (another instance, an earlier run), so these bytes are never compiled here. */
    void rememberRefusal(String digest, Reason reason, String message) {
        refused.put(digest, new PolicyValidationException(reason, message));
    }

    private CompiledPolicy check(byte[] wasm, String digest, List<PolicyFixture> fixtures) throws PolicyValidationException {
        ModuleShape shape = ModuleShape.read(wasm);
        if (shape != null) {
            shape.check(limits);
        }
        CompiledPolicy policy = compiler.compile(wasm, digest);
        try {
            PolicyDescriptor first = describe(policy);
            PolicyDescriptor second = describe(policy);
            if (!first.equals(second)) {
                throw new PolicyValidationException(Reason.DESCRIBE_INVALID,
                        "describe returned different output on two calls; it must be constant (ABI section 4)");
            }
            checkHooks(first, policy.exportedHooks());
            policy.describedAs(first);
            runFixtures(policy, fixtures);
            warmUp(policy);
        } finally {
            executor.closeUploadPool(digest);
        }
        return compiler.accept(policy);
    }

    private PolicyDescriptor describe(CompiledPolicy policy) throws PolicyValidationException {
        CallResult<PolicyDescriptor> r = executor.callForUpload(
                policy, DESCRIBE_EXPORT, new EncodedInput(NO_INPUT, null), (out, facts) -> DescribeOutput.parse(out, schemas));
        if (r.error() != null) {
            if (r.error().kind() == PolicyErrorKind.INVALID_OUTPUT && r.invalidReason() != null) {
                throw new PolicyValidationException(r.invalidReason(), r.error().message());
            }
            throw new PolicyValidationException(Reason.DESCRIBE_FAILED,
                    "describe failed (" + r.error().kind().label() + "): " + r.error().message());
        }
        return r.value();
    }

    private static void checkHooks(PolicyDescriptor d, Set<Hook> exported) throws PolicyValidationException {
        for (Hook h : d.hooks()) {
            if (!exported.contains(h)) {
                throw new PolicyValidationException(Reason.HOOKS_MISMATCH, "describe declares hook '" + h.wireName()
                        + "' but the module does not export a function named '" + h.wireName() + "'");
            }
        }
        if (exported.contains(Hook.ROUTE) && !d.hooks().contains(Hook.ROUTE)) {
            throw new PolicyValidationException(Reason.HOOKS_MISMATCH, "module exports 'route' but describe does"
                    + " not declare the route hook (ABI section 3.1: route is exported if and only if declared)");
        }
    }

    private void runFixtures(CompiledPolicy policy, List<PolicyFixture> fixtures) throws PolicyValidationException {
        try {
            for (PolicyFixture f : fixtures) {
                FixtureResult r;
                try {
                    r = calls.runFixture(policy, f, Caller.UPLOAD);
                } catch (IllegalArgumentException e) {
                    throw new PolicyValidationException(Reason.FIXTURE_FAILED, "fixture '" + f.name() + "' is invalid: " + e.getMessage(), e);
                }
                if (!r.passed()) {
                    throw new PolicyValidationException(Reason.FIXTURE_FAILED, "fixture '" + f.name() + "' failed: " + r.failure());
                }
            }
        } finally {
            executor.closeUploadPool(policy.digest());
        }
    }

    /**
     * Calls the module's hooks with a sample input so the JVM compiles its freshly generated bytecode
     * before traffic arrives. Outcomes are ignored; a failing call ends the warm-up (its instance is
     * discarded like any other).
     */
    private void warmUp(CompiledPolicy policy) {
        AdmitInput sample = WarmUpInputs.admit();
        EncodedInput admit = GuestInputs.admit(policy.descriptor(), sample);
        EncodedInput route = GuestInputs.route(policy.descriptor(), WarmUpInputs.route(sample));
        for (int i = 0; i < limits.warmUpCalls(); i++) {
            if (policy.descriptor().implementsHook(Hook.ADMIT)
                    && calls.admitEncoded(CallExecutor.UPLOAD_TENANT, Caller.UPLOAD, policy, admit).isError()) {
                return;
            }
            if (policy.descriptor().implementsHook(Hook.ROUTE)
                    && calls.routeEncoded(CallExecutor.UPLOAD_TENANT, Caller.UPLOAD, policy, route).isError()) {
                return;
            }
        }
    }
}
