package io.sluice.policy.host.internal;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.ExecutionMode;
import io.sluice.policy.host.FixtureResult;
import io.sluice.policy.host.PolicyFixture;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyTelemetry;
import io.sluice.policy.host.PolicyValidationException;
import io.sluice.policy.host.PoolStats;
import io.sluice.policy.host.RouteInput;
import io.sluice.policy.host.RouteOutcome;
import io.sluice.policy.host.internal.PolicyCalls.Caller;
import io.sluice.policy.host.internal.abi.AbiSchemas;
import io.sluice.policy.host.internal.call.CallExecutor;
import io.sluice.policy.host.internal.call.ThreadCpuClock;
import io.sluice.policy.host.internal.wasm.CompiledPolicy;
import io.sluice.policy.host.internal.wasm.ExtismKernel;
import io.sluice.policy.host.internal.wasm.ModuleCompiler;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Wires the parts behind {@link io.sluice.policy.host.PolicyHost}, each with one job:
 * {@link ModuleCompiler} ({@code internal.wasm}: bytes to compiled, cached modules and their instances),
 * {@link CallExecutor} ({@code internal.call}: where a guest runs and under which limits),
 * {@code internal.abi} (ABI JSON in and out), and the two paths through them, {@link ModuleUpload}
 * (what a module must show before it is accepted) and {@link PolicyCalls} (the hooks as the platform
 * sees them). Not API; see {@code PolicyHost} for the contract.
 */
public final class HostRuntime implements AutoCloseable {
    private final PolicyLimits limits;
    private final ModuleCompiler compiler;
    private final CallExecutor executor;
    private final PolicyCalls calls;
    private final ModuleUpload upload;
    private volatile boolean closed;

    public HostRuntime(PolicyLimits limits, ExecutionMode mode, PolicyTelemetry telemetry) {
        this(limits, mode, telemetry, System::nanoTime, ThreadCpuClock.jvm());
    }

    /** With the clocks the call limits are measured on, so tests can stand for a saturated machine. */
    HostRuntime(PolicyLimits limits, ExecutionMode mode, PolicyTelemetry telemetry, LongSupplier wallClock, ThreadCpuClock cpuClock) {
        this.limits = Objects.requireNonNull(limits, "limits");
        ExtismKernel kernel = ExtismKernel.get(mode);
        AbiSchemas schemas = AbiSchemas.get();
        schemas.warmUp();
        this.compiler = new ModuleCompiler(limits, mode, kernel);
        this.executor = new CallExecutor(limits, kernel, wallClock, cpuClock);
        this.calls = new PolicyCalls(executor, schemas, telemetry);
        this.upload = new ModuleUpload(limits, compiler, executor, calls, schemas);
    }

    public PolicyLimits limits() {
        return limits;
    }

    public ExecutionMode mode() {
        return compiler.mode();
    }

    public CompiledPolicy compile(byte[] wasm, List<PolicyFixture> fixtures) throws PolicyValidationException {
        ensureOpen();
        return upload.accept(wasm, fixtures);
    }

    public AdmitOutcome admit(String tenantId, PolicyModule module, AdmitInput input) {
        return calls.admit(tenantId, own(module), input);
    }

    public AdmitOutcome admitJson(String tenantId, PolicyModule module, String inputJson) {
        return calls.admitJson(tenantId, own(module), inputJson);
    }

    public RouteOutcome route(String tenantId, PolicyModule module, RouteInput input) {
        return calls.route(tenantId, own(module), input);
    }

    public RouteOutcome routeJson(String tenantId, PolicyModule module, String inputJson) {
        return calls.routeJson(tenantId, own(module), inputJson);
    }

    public FixtureResult runFixture(PolicyModule module, PolicyFixture fixture) {
        return calls.runFixture(own(module), fixture, Caller.TENANT);
    }

    public PoolStats poolStats(String tenantId, PolicyModule module) {
        return executor.poolStats(tenantId, module);
    }

    /** Drops a module's pools for every tenant and forgets its compiled code. */
    public void evict(String digest) {
        compiler.forget(digest);
        executor.evict(digest);
    }

    /** Drops every pool of a tenant (for example when its binding changes). */
    public void evictTenant(String tenantId) {
        executor.evictTenant(tenantId);
    }

    public void rememberRefusal(String digest, PolicyValidationException.Reason reason, String message) {
        upload.rememberRefusal(digest, reason, message);
    }

    /**
     * The limits a remembered refusal depends on; a refusal made under other values must be checked again.
     */
    public String refusalRules() {
        return "module=" + limits.moduleBytes() + ",memory=" + limits.memoryBytes() + ",functions=" + limits.maxFunctions()
                + ",body=" + limits.maxFunctionBodyBytes() + ",code=" + limits.maxCodeBytes() + ",compile="
                + limits.compileTimeout().toMillis() + ",abi=1.0";
    }

    public PolicyModule cached(String digest) {
        return compiler.accepted(digest);
    }

    @Override
    public void close() {
        closed = true;
        executor.close();
        compiler.close();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("policy host is closed");
        }
    }

    private CompiledPolicy own(PolicyModule module) {
        if (!(module instanceof CompiledPolicy cp) || !compiler.owns(cp)) {
            throw new IllegalArgumentException("module was not compiled by this policy host: " + module);
        }
        return cp;
    }
}
