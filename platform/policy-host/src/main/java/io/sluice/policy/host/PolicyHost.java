package io.sluice.policy.host;

import io.sluice.policy.host.internal.HostRuntime;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Runs tenant policy plugins (WebAssembly, Extism ABI v1) in a sandbox: compiled ahead of time to JVM
 * bytecode by Chicory, no host functions beyond the Extism kernel and logging, a frozen clock and a
 * seeded random source, and per-call limits on time, memory and output size.
 *
 * <h2>Lifecycle</h2>
 * Create one host per process with {@link #create(PolicyLimits, PolicyTelemetry)} and {@link #close()} it
 * on shutdown. Upload path: {@link #compile(byte[], List)} validates a module (size, imports, exports,
 * {@code describe}, optional fixtures) and compiles it; the returned {@link PolicyModule} is cached by
 * sha256, so compiling the same bytes again (for example after a restart, from the database) is cheap.
 * Bytes refused for their size or shape are refused before compiling when their section headers already
 * tell, and remembered by sha256 so that uploading them again is refused without compiling (ADR 0025).
 * Traffic path: {@link #admit} and {@link #route}.
 *
 * <h2>Threading</h2>
 * All methods are thread-safe. {@code admit}/{@code route} block the calling thread for at most about
 * {@code queueTimeout + callWallTimeout} (plus {@code instantiateTimeout} when an instance must first be
 * created); call them from a worker thread, never from an event loop. A guest call is stopped when it
 * has used {@link PolicyLimits#callTimeout()} of CPU time or run for {@link PolicyLimits#callWallTimeout()},
 * whichever comes first, so a loaded machine slows calls down without failing them (ADR 0007). Guest code runs on the host's own
 * worker threads ({@link PolicyLimits#workerThreads()}); each tenant may occupy at most
 * {@link PolicyLimits#tenantConcurrency()} of them, so a spinning plugin degrades only its own tenant.
 * {@code compile} runs the compiler on a dedicated thread and blocks for at most
 * {@link PolicyLimits#compileTimeout()} plus the {@code describe} and fixture calls.
 *
 * <h2>Failures</h2>
 * Nothing a guest does throws from {@code admit}/{@code route}: every failure is an outcome with a
 * {@link PolicyErrorKind}, and the instance that failed is discarded. A (tenant, module) pair whose calls
 * keep running out of time or memory is quarantined for a while ({@link PolicyLimits#quarantineAfter()}):
 * its calls are then {@link PolicyErrorKind#REJECTED} without running. Exceptions are reserved for
 * programming errors: a module of another host, a tenant id that differs from the input's
 * ({@link IllegalArgumentException}), or a closed host ({@link IllegalStateException} from compile).
 */
public final class PolicyHost implements AutoCloseable {
    private final HostRuntime runtime;

    private PolicyHost(HostRuntime runtime) {
        this.runtime = runtime;
    }

    /** A host running compiled code (the production mode). */
    public static PolicyHost create(PolicyLimits limits, PolicyTelemetry telemetry) {
        return create(limits, telemetry, ExecutionMode.COMPILED);
    }

    /**
     * A host with an explicit execution mode. {@link ExecutionMode#INTERPRETED_UNSAFE} exists for
     * benchmarks that compare it with compiled code; never use it for tenant traffic.
     */
    public static PolicyHost create(PolicyLimits limits, PolicyTelemetry telemetry, ExecutionMode mode) {
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(telemetry, "telemetry");
        Objects.requireNonNull(mode, "mode");
        return new PolicyHost(new HostRuntime(limits, mode, telemetry));
    }

    public PolicyLimits limits() {
        return runtime.limits();
    }

    /** Validates and compiles a module without fixtures. See {@link #compile(byte[], List)}. */
    public PolicyModule compile(byte[] wasm) throws PolicyValidationException {
        return compile(wasm, List.of());
    }

    /**
     * Validates and compiles an uploaded module, then runs the given fixtures against it; any failing
     * fixture refuses the upload, naming the fixture. On success the module is cached by digest.
     *
     * @throws PolicyValidationException with a {@link PolicyValidationException.Reason} and a message for
     *     the uploader when the module is refused
     */
    public PolicyModule compile(byte[] wasm, List<PolicyFixture> fixtures) throws PolicyValidationException {
        Objects.requireNonNull(wasm, "wasm");
        return runtime.compile(wasm, List.copyOf(fixtures));
    }

    /**
     * {@link #compile(byte[], List)} on a background thread, for callers that must not block (the future
     * fails with a {@link CompletionException} wrapping the {@link PolicyValidationException}).
     */
    public CompletableFuture<PolicyModule> compileAsync(byte[] wasm, List<PolicyFixture> fixtures) {
        List<PolicyFixture> copy = List.copyOf(fixtures);
        return CompletableFuture.supplyAsync(() -> {
            try {
                return runtime.compile(wasm, copy);
            } catch (PolicyValidationException e) {
                throw new CompletionException(e);
            }
        });
    }

    /** The content address of module bytes: lower-case hex SHA-256, as {@link PolicyModule#digest()}. */
    public static String digestOf(byte[] wasm) {
        return io.sluice.policy.host.internal.wasm.ModuleCompiler.sha256(wasm);
    }

    /**
     * Makes this host refuse {@code digest} as it was refused before (by another instance sharing the same
     * store, or before a restart), without parsing or compiling the bytes again (SPEC POL-9, ADR 0025). Only
     * refusals with {@link PolicyValidationException#remembered()} made under the same
     * {@link #refusalRules()} should be handed in. The host keeps at most a few thousand, least recently used
     * dropped first.
     */
    public void rememberRefusal(String digest, PolicyValidationException.Reason reason, String message) {
        runtime.rememberRefusal(digest, reason, message);
    }

    /**
     * The limits that decide whether bytes are refused for their size or shape, as one string: a stored refusal
     * made under other rules must not be applied (an operator may have raised a limit).
     */
    public String refusalRules() {
        return runtime.refusalRules();
    }

    /** A module compiled earlier by this host, or {@code null}. */
    public PolicyModule cached(String digest) {
        return runtime.cached(digest);
    }

    /**
     * Runs the module's {@code admit} hook for one request of {@code tenantId}.
     *
     * @param tenantId the calling tenant; must equal {@code input.tenant().id()}
     * @return the validated decision, or an error outcome; never throws for guest failures
     */
    public AdmitOutcome admit(String tenantId, PolicyModule module, AdmitInput input) {
        return runtime.admit(tenantId, module, input);
    }

    /**
     * Runs {@code admit} on an input given as ABI JSON (dry runs, the test kit). The input is validated
     * against the ABI input schema first ({@link IllegalArgumentException} if it does not match), and the
     * prompt is removed unless the module needs it.
     */
    public AdmitOutcome admitJson(String tenantId, PolicyModule module, String inputJson) {
        return runtime.admitJson(tenantId, module, inputJson);
    }

    /** Runs the module's {@code route} hook; the order is checked against the candidates. */
    public RouteOutcome route(String tenantId, PolicyModule module, RouteInput input) {
        return runtime.route(tenantId, module, input);
    }

    /** {@link #route} on an input given as ABI JSON; see {@link #admitJson}. */
    public RouteOutcome routeJson(String tenantId, PolicyModule module, String inputJson) {
        return runtime.routeJson(tenantId, module, inputJson);
    }

    /**
     * Runs one fixture exactly as traffic would run (same limits, pools of the fixture input's tenant,
     * telemetry reported).
     *
     * @throws IllegalArgumentException if the fixture input does not match the ABI schema or calls a hook
     *     the module does not declare
     */
    public FixtureResult runFixture(PolicyModule module, PolicyFixture fixture) {
        return runtime.runFixture(module, fixture);
    }

    /** Pool counters of one (tenant, module) pair. */
    public PoolStats poolStats(String tenantId, PolicyModule module) {
        return runtime.poolStats(tenantId, module);
    }

    /** Forgets a module: its compiled code and every tenant's instances of it. */
    public void evict(PolicyModule module) {
        runtime.evict(module.digest());
    }

    /** Drops every pooled instance of one tenant. */
    public void evictTenant(String tenantId) {
        runtime.evictTenant(tenantId);
    }

    /** Stops the workers (interrupting running guests) and drops every instance. */
    @Override
    public void close() {
        runtime.close();
    }
}
