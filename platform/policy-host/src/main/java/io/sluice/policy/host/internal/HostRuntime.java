package io.sluice.policy.host.internal;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.DecisionRecord;
import io.sluice.policy.host.ExecutionMode;
import io.sluice.policy.host.FixtureResult;
import io.sluice.policy.host.Hook;
import io.sluice.policy.host.PolicyDescriptor;
import io.sluice.policy.host.PolicyError;
import io.sluice.policy.host.PolicyErrorKind;
import io.sluice.policy.host.PolicyFixture;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyRef;
import io.sluice.policy.host.PolicyTelemetry;
import io.sluice.policy.host.PolicyValidationException;
import io.sluice.policy.host.PolicyValidationException.Reason;
import io.sluice.policy.host.PoolStats;
import io.sluice.policy.host.RouteInput;
import io.sluice.policy.host.RouteOutcome;
import io.sluice.policy.host.internal.AbiJson.EncodedInput;
import io.sluice.policy.host.internal.AbiJson.RequestFacts;
import io.sluice.policy.host.internal.AbiSchemas.Kind;
import io.sluice.policy.host.internal.OutputValidator.AdmitParts;
import io.sluice.policy.host.internal.OutputValidator.InvalidOutput;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The machinery behind {@link io.sluice.policy.host.PolicyHost}: compile cache, instance pools, tenant
 * gates and the worker threads that run guest code. Not API; see {@code PolicyHost} for the contract.
 */
public final class HostRuntime implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HostRuntime.class.getName());
    /** Pool and gate key for calls made while validating an upload; cannot collide with a tenant id. */
    private static final String UPLOAD_TENANT = "\u0000upload";
    private static final byte[] NO_INPUT = new byte[0];
    private static final int HOST_ABI_MAJOR = 1;
    private static final int HOST_ABI_MINOR = 0;

    private final PolicyLimits limits;
    private final ExecutionMode mode;
    private final PolicyTelemetry telemetry;
    private final ExtismKernel kernel;
    private final Map<String, Map<String, FunctionType>> allowedImports;
    private final AbiSchemas schemas;
    private final ThreadPoolExecutor workers;
    private final ExecutorService compiler;
    /** Interrupts calls running on their caller's thread once they pass their limit. */
    private final CallWatchdog watchdog;
    private final ConcurrentHashMap<String, CompiledPolicy> modules = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<PoolKey, InstancePool> pools = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Semaphore> gates = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private record PoolKey(String tenant, String digest) {}

    public HostRuntime(PolicyLimits limits, ExecutionMode mode, PolicyTelemetry telemetry) {
        Objects.requireNonNull(limits, "limits");
        this.limits = limits;
        this.mode = mode;
        this.telemetry = telemetry;
        this.kernel = ExtismKernel.get(mode);
        this.allowedImports = GuestImports.allowed(kernel);
        this.schemas = AbiSchemas.get();
        this.schemas.warmUp();
        this.workers = new ThreadPoolExecutor(
                limits.workerThreads(),
                limits.workerThreads(),
                0,
                TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(Math.max(64, limits.workerThreads() * 64)),
                daemonThreads("sluice-policy-worker"));
        this.workers.prestartAllCoreThreads();
        ThreadPoolExecutor compile = new ThreadPoolExecutor(
                1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(16), daemonThreads("sluice-policy-compiler"));
        this.compiler = compile;
        this.watchdog = new CallWatchdog(
                CallWatchdog.tickFor(Math.min(limits.callTimeout().toNanos(), limits.instantiateTimeout().toNanos())),
                "sluice-policy-watchdog");
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    public PolicyLimits limits() {
        return limits;
    }

    public ExecutionMode mode() {
        return mode;
    }

    // ---------------------------------------------------------------- upload: validate and compile

    public CompiledPolicy compile(byte[] wasm, List<PolicyFixture> fixtures) throws PolicyValidationException {
        ensureOpen();
        if (wasm.length > limits.moduleBytes()) {
            throw new PolicyValidationException(Reason.TOO_LARGE, "module is " + wasm.length
                    + " bytes; the limit is " + limits.moduleBytes() + " bytes");
        }
        String digest = sha256(wasm);
        CompiledPolicy known = modules.get(digest);
        if (known != null) {
            runUploadFixtures(known, fixtures);
            return known;
        }
        CompiledPolicy policy = compileOffRequestThread(wasm, digest);
        try {
            PolicyDescriptor first = describe(policy);
            PolicyDescriptor second = describe(policy);
            if (!first.equals(second)) {
                throw new PolicyValidationException(Reason.DESCRIBE_INVALID,
                        "describe returned different output on two calls; it must be constant (ABI section 4)");
            }
            checkHooks(first, policy.exportedHooks);
            policy.describedAs(first);
            runUploadFixtures(policy, fixtures);
            warmUp(policy);
        } finally {
            closePool(new PoolKey(UPLOAD_TENANT, digest));
        }
        CompiledPolicy winner = modules.putIfAbsent(digest, policy);
        return winner != null ? winner : policy;
    }

    private CompiledPolicy compileOffRequestThread(byte[] wasm, String digest) throws PolicyValidationException {
        Future<CompiledPolicy> f;
        try {
            f = compiler.submit(() -> parseAndCompile(wasm, digest));
        } catch (RejectedExecutionException e) {
            throw new PolicyValidationException(Reason.COMPILE_TIMEOUT, "too many uploads are being compiled; retry later");
        }
        try {
            return f.get(limits.compileTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // The compiler does not observe interrupts; the thread finishes on its own and the result is
            // dropped. One compiler thread means a flood of slow uploads queues instead of taking every core.
            f.cancel(true);
            throw new PolicyValidationException(Reason.COMPILE_TIMEOUT,
                    "compiling the module took longer than " + limits.compileTimeout().toMillis() + " ms");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof PolicyValidationException pve) {
                throw pve;
            }
            if (e.getCause() instanceof OutOfMemoryError) {
                throw new PolicyValidationException(Reason.COMPILE_TIMEOUT, "the module is too large to compile");
            }
            throw new PolicyValidationException(Reason.NOT_WASM, "module could not be compiled: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new PolicyValidationException(Reason.COMPILE_TIMEOUT, "interrupted while compiling the module");
        }
    }

    private CompiledPolicy parseAndCompile(byte[] wasm, String digest) throws PolicyValidationException {
        WasmModule module;
        try {
            module = Parser.parse(wasm);
        } catch (ChicoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new PolicyValidationException(Reason.NOT_WASM, "not a valid WebAssembly module: " + e.getMessage(), e);
        }
        WasmInspector.checkImports(module, allowedImports);
        Set<Hook> hooks = WasmInspector.checkExports(module);
        WasmInspector.checkInitialMemory(module, limits.memoryBytes(), kernelInitialBytes());
        Function<Instance, Machine> factory;
        if (mode == ExecutionMode.COMPILED) {
            try {
                factory = MachineFactoryCompiler.builder(module)
                        .withInterpreterFallback(InterpreterFallback.FAIL)
                        .compile();
            } catch (ChicoryException e) {
                String m = String.valueOf(e.getMessage());
                if (m.contains("Java method size") || m.contains("interpreter")) {
                    int at = m.indexOf("WASM function index");
                    String which = at >= 0 ? " (" + m.substring(at) + ")" : "";
                    throw new PolicyValidationException(Reason.NEEDS_INTERPRETER, "a function is too large to"
                            + " compile to one JVM method and could only run in the interpreter, where the time"
                            + " limit cannot stop it; split it into smaller functions" + which, e);
                }
                throw new PolicyValidationException(Reason.NOT_WASM, "module could not be compiled: " + m, e);
            }
        } else {
            factory = InterpreterMachine::new;
        }
        return new CompiledPolicy(digest, wasm.length, module, factory, hooks, this);
    }

    private long kernelInitialBytes() {
        return (long) kernel.module.memorySection().get().getMemory(0).limits().initialPages() * 65536L;
    }

    private PolicyDescriptor describe(CompiledPolicy policy) throws PolicyValidationException {
        CallResult<PolicyDescriptor> r = invoke(
                UPLOAD_TENANT,
                policy,
                WasmInspector.DESCRIBE,
                new EncodedInput(NO_INPUT, null),
                (out, facts) -> parseDescribe(out));
        if (r.error() != null) {
            if (r.error().kind() == PolicyErrorKind.INVALID_OUTPUT && r.invalidReason() != null) {
                throw new PolicyValidationException(r.invalidReason(), r.error().message());
            }
            throw new PolicyValidationException(Reason.DESCRIBE_FAILED,
                    "describe failed (" + r.error().kind().label() + "): " + r.error().message());
        }
        return r.value();
    }

    private PolicyDescriptor parseDescribe(byte[] out) throws InvalidOutput {
        JsonNode root;
        try {
            root = AbiJson.MAPPER.readTree(out);
        } catch (JacksonException e) {
            throw new DescribeInvalid(Reason.DESCRIBE_INVALID, "describe output is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new DescribeInvalid(Reason.DESCRIBE_INVALID, "describe output must be a JSON object");
        }
        JsonNode abi = root.path("abi_version");
        String supported = "this host supports ABI " + HOST_ABI_MAJOR + ".0 to " + HOST_ABI_MAJOR + "." + HOST_ABI_MINOR;
        if (!abi.isString() || !abi.stringValue().matches("\\d{1,4}\\.\\d{1,4}")) {
            throw new DescribeInvalid(Reason.UNSUPPORTED_ABI, "describe gives abi_version " + abi + "; " + supported);
        }
        String[] mm = abi.stringValue().split("\\.");
        if (Integer.parseInt(mm[0]) != HOST_ABI_MAJOR || Integer.parseInt(mm[1]) > HOST_ABI_MINOR) {
            throw new DescribeInvalid(Reason.UNSUPPORTED_ABI, "module is built for ABI " + abi.stringValue() + "; " + supported);
        }
        List<String> problems = schemas.validate(Kind.DESCRIBE_OUTPUT, root, 3);
        if (!problems.isEmpty()) {
            throw new DescribeInvalid(Reason.DESCRIBE_INVALID,
                    "describe output does not match " + Kind.DESCRIBE_OUTPUT.file + ": " + String.join("; ", problems));
        }
        Set<Hook> hooks = EnumSet.noneOf(Hook.class);
        root.path("hooks").values().forEach(h -> hooks.add(Hook.fromWireName(h.stringValue())));
        List<String> needs = new ArrayList<>();
        root.path("needs").values().forEach(n -> needs.add(n.stringValue()));
        return new PolicyDescriptor(
                abi.stringValue(), root.path("name").stringValue(), root.path("version").stringValue(), hooks, Set.copyOf(needs));
    }

    /** An invalid describe output, carrying the upload refusal reason. */
    private static final class DescribeInvalid extends InvalidOutput {
        private static final long serialVersionUID = 1L;
        final Reason reason;

        DescribeInvalid(Reason reason, String message) {
            super(message);
            this.reason = reason;
        }
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

    private void runUploadFixtures(CompiledPolicy policy, List<PolicyFixture> fixtures) throws PolicyValidationException {
        try {
            for (PolicyFixture f : fixtures) {
                FixtureResult r;
                try {
                    r = runFixture(UPLOAD_TENANT, policy, f, false);
                } catch (IllegalArgumentException e) {
                    throw new PolicyValidationException(Reason.FIXTURE_FAILED, "fixture '" + f.name() + "' is invalid: " + e.getMessage(), e);
                }
                if (!r.passed()) {
                    throw new PolicyValidationException(Reason.FIXTURE_FAILED, "fixture '" + f.name() + "' failed: " + r.failure());
                }
            }
        } finally {
            closePool(new PoolKey(UPLOAD_TENANT, policy.digest()));
        }
    }

    /**
     * Calls the module's hooks with a sample input so the JVM compiles its freshly generated bytecode
     * before traffic arrives. Outcomes are ignored; a failing call ends the warm-up (its instance is
     * discarded like any other).
     */
    private void warmUp(CompiledPolicy policy) {
        AdmitInput sample = WarmUpInputs.admit();
        EncodedInput admit = AbiJson.encodeAdmit(sample, policy.descriptor().needsPrompt());
        EncodedInput route = AbiJson.encodeRoute(WarmUpInputs.route(sample), policy.descriptor().needsPrompt());
        for (int i = 0; i < limits.warmUpCalls(); i++) {
            if (policy.descriptor().implementsHook(Hook.ADMIT)
                    && admitEncoded(UPLOAD_TENANT, policy, admit, false).isError()) {
                return;
            }
            if (policy.descriptor().implementsHook(Hook.ROUTE)
                    && routeEncoded(UPLOAD_TENANT, policy, route, false).isError()) {
                return;
            }
        }
    }

    // ---------------------------------------------------------------- calls

    public AdmitOutcome admit(String tenantId, PolicyModule module, AdmitInput input) {
        CompiledPolicy policy = own(module);
        requireTenant(tenantId, input.tenant().id());
        if (!policy.descriptor().implementsHook(Hook.ADMIT)) {
            return rejectedAdmit(policy, "module does not declare the admit hook");
        }
        EncodedInput enc = AbiJson.encodeAdmit(input, policy.descriptor().needsPrompt());
        return admitEncoded(tenantId, policy, enc, true);
    }

    public AdmitOutcome admitJson(String tenantId, PolicyModule module, String inputJson) {
        CompiledPolicy policy = own(module);
        if (!policy.descriptor().implementsHook(Hook.ADMIT)) {
            return rejectedAdmit(policy, "module does not declare the admit hook");
        }
        EncodedInput enc = encodeJson(inputJson, policy, Hook.ADMIT);
        requireTenant(tenantId, enc.facts().tenantId());
        return admitEncoded(tenantId, policy, enc, true);
    }

    public RouteOutcome route(String tenantId, PolicyModule module, RouteInput input) {
        CompiledPolicy policy = own(module);
        requireTenant(tenantId, input.admit().tenant().id());
        if (!policy.descriptor().implementsHook(Hook.ROUTE)) {
            return rejectedRoute(policy, "module does not declare the route hook");
        }
        EncodedInput enc = AbiJson.encodeRoute(input, policy.descriptor().needsPrompt());
        return routeEncoded(tenantId, policy, enc, true);
    }

    public RouteOutcome routeJson(String tenantId, PolicyModule module, String inputJson) {
        CompiledPolicy policy = own(module);
        if (!policy.descriptor().implementsHook(Hook.ROUTE)) {
            return rejectedRoute(policy, "module does not declare the route hook");
        }
        EncodedInput enc = encodeJson(inputJson, policy, Hook.ROUTE);
        requireTenant(tenantId, enc.facts().tenantId());
        return routeEncoded(tenantId, policy, enc, true);
    }

    public FixtureResult runFixture(PolicyModule module, PolicyFixture fixture) {
        CompiledPolicy policy = own(module);
        EncodedInput enc = encodeJson(fixture.inputJson(), policy, fixture.hook());
        return runFixture(enc.facts().tenantId(), policy, fixture, true);
    }

    private FixtureResult runFixture(String poolTenant, CompiledPolicy policy, PolicyFixture fixture, boolean report) {
        EncodedInput enc = encodeJson(fixture.inputJson(), policy, fixture.hook());
        if (!policy.descriptor().implementsHook(fixture.hook())) {
            throw new IllegalArgumentException("fixture '" + fixture.name() + "' calls hook '" + fixture.hook().wireName()
                    + "', which the module does not declare");
        }
        if (fixture.hook() == Hook.ADMIT) {
            return FixtureJson.judge(fixture, admitEncoded(poolTenant, policy, enc, report), null);
        }
        return FixtureJson.judge(fixture, null, routeEncoded(poolTenant, policy, enc, report));
    }

    private EncodedInput encodeJson(String inputJson, CompiledPolicy policy, Hook hook) {
        EncodedInput enc = AbiJson.fromJson(inputJson, policy.descriptor().needsPrompt(), hook == Hook.ROUTE);
        JsonNode tree = AbiJson.MAPPER.readTree(enc.json());
        Kind kind = hook == Hook.ROUTE ? Kind.ROUTE_INPUT : Kind.ADMIT_INPUT;
        List<String> problems = schemas.validate(kind, tree, 5);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("input does not match " + kind.file + ": " + String.join("; ", problems));
        }
        return enc;
    }

    private AdmitOutcome admitEncoded(String poolTenant, CompiledPolicy policy, EncodedInput enc, boolean report) {
        long t0 = System.nanoTime();
        CallResult<AdmitParts> r = invoke(
                poolTenant, policy, Hook.ADMIT.wireName(), enc, (out, facts) -> OutputValidator.admit(out, facts, schemas));
        long latency = System.nanoTime() - t0;
        AdmitOutcome outcome = r.error() != null
                ? new AdmitOutcome(null, null, null, r.error(), policy.ref(), latency, r.logs())
                : new AdmitOutcome(r.value().decision(), r.value().reason(), r.value().modifications(), null, policy.ref(), latency, r.logs());
        if (report) {
            String reason = outcome.isError() ? outcome.error().message() : outcome.reason();
            emit(new DecisionRecord(enc.facts().tenantId(), enc.facts().taskId(), policy.ref(), Hook.ADMIT,
                    outcome.outcomeLabel(), outcome.isError() ? outcome.error().kind() : null, reason, latency, outcome.logs()));
        }
        return outcome;
    }

    private RouteOutcome routeEncoded(String poolTenant, CompiledPolicy policy, EncodedInput enc, boolean report) {
        long t0 = System.nanoTime();
        CallResult<List<String>> r = invoke(
                poolTenant, policy, Hook.ROUTE.wireName(), enc, (out, facts) -> OutputValidator.route(out, facts, schemas));
        long latency = System.nanoTime() - t0;
        RouteOutcome outcome = new RouteOutcome(r.value(), r.error(), policy.ref(), latency, r.logs());
        if (report) {
            String reason = outcome.isError() ? outcome.error().message() : String.join(",", outcome.order());
            emit(new DecisionRecord(enc.facts().tenantId(), enc.facts().taskId(), policy.ref(), Hook.ROUTE,
                    outcome.outcomeLabel(), outcome.isError() ? outcome.error().kind() : null, reason, latency, outcome.logs()));
        }
        return outcome;
    }

    private static AdmitOutcome rejectedAdmit(CompiledPolicy policy, String message) {
        return new AdmitOutcome(null, null, null, new PolicyError(PolicyErrorKind.REJECTED, message), policy.ref(), 0, List.of());
    }

    private static RouteOutcome rejectedRoute(CompiledPolicy policy, String message) {
        return new RouteOutcome(null, new PolicyError(PolicyErrorKind.REJECTED, message), policy.ref(), 0, List.of());
    }

    private void emit(DecisionRecord record) {
        try {
            telemetry.onDecision(record);
            if (record.errorKind() != null) {
                telemetry.onError(record.errorKind(), record);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "policy telemetry listener failed", e);
        }
    }

    /** Checks a guest output; throws {@link InvalidOutput} to reject it. */
    @FunctionalInterface
    interface OutputCheck<T> {
        T check(byte[] output, RequestFacts facts) throws InvalidOutput;
    }

    /** Result of one guest call: a checked value, or an error. */
    record CallResult<T>(T value, PolicyError error, Reason invalidReason, List<String> logs) {
        static <T> CallResult<T> error(PolicyErrorKind kind, String message, List<String> logs) {
            return new CallResult<>(null, new PolicyError(kind, message), null, logs);
        }
    }

    /**
     * Runs one export on a pooled instance under every limit. The calling thread waits; a worker runs the
     * guest. The worker owns the instance for the duration and decides whether it goes back to the pool:
     * only after a call that finished in time with a valid output.
     */
    <T> CallResult<T> invoke(String tenant, CompiledPolicy policy, String export, EncodedInput input, OutputCheck<T> check) {
        if (closed) {
            return CallResult.error(PolicyErrorKind.REJECTED, "policy host is closed", List.of());
        }
        InstancePool pool = pools.computeIfAbsent(new PoolKey(tenant, policy.digest()), k -> new InstancePool(limits.instancesPerModule()));
        long quarantine = pool.quarantineLeft(System.nanoTime());
        if (quarantine > 0) {
            return CallResult.error(PolicyErrorKind.REJECTED, "policy quarantined for another "
                    + TimeUnit.NANOSECONDS.toMillis(quarantine) + " ms after " + limits.quarantineAfter()
                    + " calls in a row ran out of time or memory", List.of());
        }
        CallResult<T> result = limits.onCallerThread() && !UPLOAD_TENANT.equals(tenant)
                ? invokeOnCaller(tenant, policy, pool, export, input, check)
                : invokeOnWorker(tenant, policy, pool, export, input, check);
        if (!UPLOAD_TENANT.equals(tenant)) {
            PolicyErrorKind kind = result.error() == null ? null : result.error().kind();
            pool.recordOutcome(kind == PolicyErrorKind.TIMEOUT || kind == PolicyErrorKind.MEMORY, kind == null,
                    limits.quarantineAfter(), limits.quarantineTime().toNanos(), System.nanoTime());
        }
        return result;
    }

    private <T> CallResult<T> invokeOnWorker(
            String tenant, CompiledPolicy policy, InstancePool pool, String export, EncodedInput input, OutputCheck<T> check) {
        Semaphore gate = gates.computeIfAbsent(tenant, t -> new Semaphore(limits.tenantConcurrency()));
        String refused = acquire(gate);
        if (refused != null) {
            return CallResult.error(PolicyErrorKind.REJECTED, refused, List.of());
        }
        // Upload-time calls (describe, fixtures) are the first to run freshly generated bytecode: class
        // loading and JIT warm-up land on them, so they get the instantiation limit instead of the call limit.
        long callTimeoutNanos = UPLOAD_TENANT.equals(tenant)
                ? Math.max(limits.instantiateTimeout().toNanos(), limits.callTimeout().toNanos())
                : limits.callTimeout().toNanos();
        CallTask<T> task = new CallTask<>(policy, pool, gate, export, input, check);
        FutureTask<CallResult<T>> future = new FutureTask<>(task);
        try {
            workers.execute(future);
        } catch (RejectedExecutionException e) {
            gate.release();
            return CallResult.error(PolicyErrorKind.REJECTED, "policy workers are saturated", List.of());
        }
        try {
            long prepare = limits.queueTimeout().toNanos() + limits.instantiateTimeout().toNanos();
            if (!task.running.await(prepare, TimeUnit.NANOSECONDS)) {
                if (task.state.compareAndSet(CallTask.QUEUED, CallTask.ABANDONED)) {
                    future.cancel(false);
                    gate.release();
                    return CallResult.error(PolicyErrorKind.REJECTED, "no policy worker became free within "
                            + limits.queueTimeout().toMillis() + " ms", List.of());
                }
                if (task.state.compareAndSet(CallTask.PREPARING, CallTask.ABANDONED)) {
                    future.cancel(true);
                    return CallResult.error(PolicyErrorKind.TIMEOUT, "instantiating the module took longer than "
                            + limits.instantiateTimeout().toMillis() + " ms", List.of());
                }
            }
            long remaining = task.startNanos == 0
                    ? 0
                    : callTimeoutNanos - (System.nanoTime() - task.startNanos);
            try {
                return future.get(Math.max(remaining, 0), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (task.state.compareAndSet(CallTask.RUNNING, CallTask.ABANDONED)) {
                    // Compiled guest code checks the interrupt flag in loops and calls; the worker unwinds
                    // within about a millisecond and discards the instance.
                    future.cancel(true);
                    return CallResult.error(PolicyErrorKind.TIMEOUT, "call exceeded the time limit of "
                            + TimeUnit.NANOSECONDS.toMillis(callTimeoutNanos) + " ms and was interrupted", List.of());
                }
                return future.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (task.state.compareAndSet(CallTask.QUEUED, CallTask.ABANDONED)) {
                gate.release();
            } else {
                task.state.compareAndSet(CallTask.PREPARING, CallTask.ABANDONED);
                task.state.compareAndSet(CallTask.RUNNING, CallTask.ABANDONED);
            }
            future.cancel(true);
            return CallResult.error(PolicyErrorKind.REJECTED, "caller interrupted while the policy ran", List.of());
        } catch (ExecutionException e) {
            // CallTask catches every Throwable itself; reaching here is a host bug, still reported as a value.
            return CallResult.error(PolicyErrorKind.TRAP, "policy call failed: " + e.getCause(), List.of());
        }
    }

    /** Takes one of the tenant's permits; returns why not, or null when taken. */
    private String acquire(Semaphore gate) {
        try {
            if (!gate.tryAcquire(limits.queueTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
                return "tenant already has " + limits.tenantConcurrency() + " policy calls running and none finished within "
                        + limits.queueTimeout().toMillis() + " ms";
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "caller interrupted while waiting for a policy slot";
        }
    }

    /**
     * Runs a call on the calling thread. The watchdog interrupts the thread if instantiation or the guest call
     * passes its limit; it interrupts only after moving the task to ABANDONED, which the task allows only while
     * preparing or running guest code, and {@link CallWatchdog.Guard#disarm()} clears a delivered interrupt,
     * so no interrupt leaks into the caller's code. The caller's own interrupt status is kept aside and restored.
     */
    private <T> CallResult<T> invokeOnCaller(
            String tenant, CompiledPolicy policy, InstancePool pool, String export, EncodedInput input, OutputCheck<T> check) {
        Semaphore gate = gates.computeIfAbsent(tenant, t -> new Semaphore(limits.tenantConcurrency()));
        String refused = acquire(gate);
        if (refused != null) {
            return CallResult.error(PolicyErrorKind.REJECTED, refused, List.of());
        }
        boolean callerInterrupted = Thread.interrupted();
        CallTask<T> task = new CallTask<>(policy, pool, gate, export, input, check);
        CallWatchdog.Guard guard = watchdog.arm(System.nanoTime() + limits.instantiateTimeout().toNanos(),
                () -> task.state.compareAndSet(CallTask.PREPARING, CallTask.ABANDONED)
                        || task.state.compareAndSet(CallTask.RUNNING, CallTask.ABANDONED));
        long callTimeoutNanos = limits.callTimeout().toNanos();
        task.onRunning = () -> guard.deadline(System.nanoTime() + callTimeoutNanos);
        CallResult<T> result;
        try {
            result = task.call();
        } finally {
            guard.disarm();
            if (callerInterrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (task.state.get() == CallTask.ABANDONED) {
            boolean started = task.startNanos != 0;
            return CallResult.error(PolicyErrorKind.TIMEOUT, started
                    ? "call exceeded the time limit of " + limits.callTimeout().toMillis() + " ms and was interrupted"
                    : "instantiating the module took longer than " + limits.instantiateTimeout().toMillis() + " ms",
                    result == null ? List.of() : result.logs());
        }
        return result;
    }

    /** One call, run on a worker thread. State transitions are the handshake with the waiting caller. */
    private final class CallTask<T> implements Callable<CallResult<T>> {
        static final int QUEUED = 0;
        static final int PREPARING = 1;
        static final int RUNNING = 2;
        static final int CHECKING = 3;
        static final int DONE = 4;
        static final int ABANDONED = 5;

        final AtomicInteger state = new AtomicInteger(QUEUED);
        final CountDownLatch running = new CountDownLatch(1);
        volatile long startNanos;
        /** Called when the guest is about to run (arms the caller-thread watchdog); null on workers. */
        volatile Runnable onRunning;
        private final CompiledPolicy policy;
        private final InstancePool pool;
        private final Semaphore gate;
        private final String export;
        private final EncodedInput input;
        private final OutputCheck<T> check;

        CallTask(CompiledPolicy policy, InstancePool pool, Semaphore gate, String export, EncodedInput input, OutputCheck<T> check) {
            this.policy = policy;
            this.pool = pool;
            this.gate = gate;
            this.export = export;
            this.input = input;
            this.check = check;
        }

        @Override
        public CallResult<T> call() {
            if (!state.compareAndSet(QUEUED, PREPARING)) {
                return null;
            }
            // A cancel(true) aimed at an earlier task may have left the flag set on this pooled thread.
            Thread.interrupted();
            InstancePool.Slot slot = null;
            GuestInstance inst = null;
            boolean healthy = false;
            try {
                slot = pool.claim(System.nanoTime() + limits.queueTimeout().toNanos());
                if (slot == null) {
                    return CallResult.error(PolicyErrorKind.REJECTED, "no instance of this policy became free within "
                            + limits.queueTimeout().toMillis() + " ms", List.of());
                }
                inst = slot.instance();
                if (inst == null) {
                    inst = GuestInstance.create(policy, kernel, limits.memoryBytes(), limits.logBytesPerCall());
                    pool.created();
                }
                startNanos = System.nanoTime();
                if (!state.compareAndSet(PREPARING, RUNNING)) {
                    return null;
                }
                Runnable armed = onRunning;
                if (armed != null) {
                    armed.run();
                }
                running.countDown();
                RequestFacts facts = input.facts();
                GuestInstance.RawResult raw = inst.call(
                        export,
                        input.json(),
                        facts == null ? 0 : facts.timeMs(),
                        facts == null ? 0 : facts.randomSeed(),
                        limits.outputBytes());
                // The time limit covers the guest only; checking its output is the host's own work.
                if (!state.compareAndSet(RUNNING, CHECKING)) {
                    return null;
                }
                if (raw.returnedError()) {
                    return CallResult.error(PolicyErrorKind.TRAP, raw.guestError(), raw.logs());
                }
                if (raw.output() == null) {
                    return CallResult.error(PolicyErrorKind.INVALID_OUTPUT, "output of " + raw.outputLength()
                            + " bytes exceeds the limit of " + limits.outputBytes() + " bytes", raw.logs());
                }
                try {
                    T value = check.check(raw.output(), facts);
                    healthy = true;
                    return new CallResult<>(value, null, null, raw.logs());
                } catch (DescribeInvalid e) {
                    return new CallResult<>(null, new PolicyError(PolicyErrorKind.INVALID_OUTPUT, e.getMessage()), e.reason, raw.logs());
                } catch (InvalidOutput e) {
                    return CallResult.error(PolicyErrorKind.INVALID_OUTPUT, e.getMessage(), raw.logs());
                }
            } catch (Throwable t) {
                PolicyError err = GuestFailures.classify(t);
                return new CallResult<>(null, err, null, inst == null ? List.of() : inst.logs());
            } finally {
                Thread.interrupted();
                boolean inTime = state.compareAndSet(CHECKING, DONE)
                        || state.compareAndSet(RUNNING, DONE)
                        || state.compareAndSet(PREPARING, DONE);
                if (slot != null) {
                    if (healthy && inTime) {
                        pool.release(inst);
                    } else {
                        pool.discard(inst != null);
                    }
                }
                gate.release();
                running.countDown();
            }
        }
    }

    // ---------------------------------------------------------------- housekeeping

    public PoolStats poolStats(String tenantId, PolicyModule module) {
        InstancePool p = pools.get(new PoolKey(tenantId, module.digest()));
        return p == null ? PoolStats.EMPTY : p.stats();
    }

    /** Drops a module's pools for every tenant and forgets its compiled code. */
    public void evict(String digest) {
        modules.remove(digest);
        pools.keySet().removeIf(k -> {
            if (k.digest().equals(digest)) {
                closePool(k);
                return true;
            }
            return false;
        });
    }

    /** Drops every pool of a tenant (for example when its binding changes). */
    public void evictTenant(String tenantId) {
        for (PoolKey k : List.copyOf(pools.keySet())) {
            if (k.tenant().equals(tenantId)) {
                closePool(k);
            }
        }
    }

    private void closePool(PoolKey key) {
        InstancePool p = pools.remove(key);
        if (p != null) {
            p.close();
        }
    }

    public PolicyModule cached(String digest) {
        return modules.get(digest);
    }

    @Override
    public void close() {
        closed = true;
        workers.shutdownNow();
        watchdog.close();
        compiler.shutdownNow();
        for (PoolKey k : List.copyOf(pools.keySet())) {
            closePool(k);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("policy host is closed");
        }
    }

    private CompiledPolicy own(PolicyModule module) {
        if (!(module instanceof CompiledPolicy cp) || cp.owner != this) {
            throw new IllegalArgumentException("module was not compiled by this policy host: " + module);
        }
        return cp;
    }

    private static void requireTenant(String tenantId, String inputTenant) {
        if (tenantId == null || tenantId.isBlank() || tenantId.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("tenant id must be non-blank printable text");
        }
        if (!tenantId.equals(inputTenant)) {
            throw new IllegalArgumentException("input tenant.id '" + inputTenant + "' does not match the calling tenant '"
                    + tenantId + "'; a policy only ever sees its own tenant's requests");
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JVM", e);
        }
    }
}
