package io.sluice.benchmarks.policy;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.ExecutionMode;
import io.sluice.policy.host.PolicyHost;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyTelemetry;
import io.sluice.policy.host.diagnostics.EncodedInput;
import io.sluice.policy.host.diagnostics.StepwiseCall;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * PERF-2: cost of one {@code admit} of the model-allowlist example, side by side:
 *
 * <ul>
 *   <li>{@code aotHostAbi11} is the example built with the SDK for ABI 1.1 (slot layout, lazy reads);
 *       {@code aotHostAbi10} the same policy built for ABI 1.0 (the {@code model-allowlist-abi10} test
 *       plugin: JSON input, the SDK's JSON reader), side by side in one run;
 *   <li>{@code aotHostAbi11} / {@code interpretedHost}: the full {@link PolicyHost#admit} path (typed input to
 *       JSON, hand-off to a policy worker, Extism call, output checks, outcome), compiled vs interpreted;
 *   <li>{@code aotDirect} / {@code interpretedDirect}: the same minus the worker hand-off (calling thread);
 *   <li>{@code plainJava}: the same policy as plain Java, JSON in and out, no sandbox;
 *   <li>{@code step*}: where the time of {@code aotDirect} goes (encode input, Extism call, output checks);
 *       {@code *Abi10} the same for the 1.0 build, and {@code stepExtismCallAbi10DeclaredReads} the ADR 0028
 *       prototype of "declared reads": the 1.0 guest given a JSON document pruned to the three members it
 *       reads, as if the host encoded only declared members.
 * </ul>
 *
 * Sample mode reports percentiles. The call limit is raised to 1 s so the interpreter is measured, not
 * killed; limits do not change the cost of a call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class PolicyAdmitBenchmark {
    private PolicyHost aotHost;
    private PolicyHost aotHostWorkers;
    private PolicyModule aotWorkersModule;
    private PolicyHost interpretedHost;
    private PolicyModule aotModule;
    private PolicyModule interpretedModule;
    private StepwiseCall aotDirect;
    private StepwiseCall interpretedDirect;
    private AdmitInput input;
    private EncodedInput encoded;
    private byte[] aotOutput;
    private StepwiseCall floorConstant;
    private StepwiseCall floorReadInput;
    private PolicyModule floorConstantModule;
    private PolicyModule sdkFloorModule;
    private PolicyModule abi10Module;
    private StepwiseCall abi10Direct;
    private EncodedInput encodedSlots;
    private EncodedInput declaredReadsJson;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        PolicyLimits limits = PolicyLimits.builder().callTimeout(Duration.ofSeconds(1)).build();
        byte[] wasm = BenchInputs.plugin(BenchInputs.PLUGIN);
        aotHost = PolicyHost.create(limits, PolicyTelemetry.NONE, ExecutionMode.COMPILED);
        interpretedHost = PolicyHost.create(limits.toBuilder().warmUpCalls(20).build(), PolicyTelemetry.NONE, ExecutionMode.INTERPRETED_UNSAFE);
        aotModule = aotHost.compile(wasm);
        aotHostWorkers = PolicyHost.create(limits.toBuilder().onCallerThread(false).build(), PolicyTelemetry.NONE, ExecutionMode.COMPILED);
        aotWorkersModule = aotHostWorkers.compile(wasm);
        interpretedModule = interpretedHost.compile(wasm);
        aotDirect = StepwiseCall.of(aotModule, limits);
        interpretedDirect = StepwiseCall.of(interpretedModule, limits);
        floorConstantModule = aotHost.compile(BenchInputs.plugin("/policies/testing/floor-constant.wasm"));
        floorConstant = StepwiseCall.of(floorConstantModule, limits);
        sdkFloorModule = aotHost.compile(BenchInputs.plugin("/policies/testing/sdk-floor.wasm"));
        floorReadInput = StepwiseCall.of(aotHost.compile(BenchInputs.plugin("/policies/testing/floor-read-input.wasm")), limits);
        abi10Module = aotHost.compile(BenchInputs.plugin("/policies/testing/model-allowlist-abi10.wasm"));
        abi10Direct = StepwiseCall.of(abi10Module, limits);
        input = BenchInputs.admit("bench");
        encoded = StepwiseCall.encodeAdmit(input, false);
        encodedSlots = aotDirect.encode(input);
        declaredReadsJson = encoded.withBytes(("{\"tenant\":{\"id\":\"" + input.tenant().id() + "\",\"labels\":"
                + BenchInputs.jsonObject(input.tenant().labels()) + "},\"request\":{\"model_ref\":\""
                + input.request().modelRef() + "\"}}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        aotOutput = aotDirect.callAdmit(encodedSlots);
        if (!java.util.Arrays.equals(aotOutput, abi10Direct.callAdmit(encoded))
                || !java.util.Arrays.equals(aotOutput, abi10Direct.callAdmit(declaredReadsJson))) {
            throw new IllegalStateException("the 1.1 and 1.0 builds answer differently: " + new String(aotOutput));
        }
        if (!"allow".equals(aotDirect.checkAdmit(aotOutput, encodedSlots))
                || !"allow".equals(PlainJavaAllowlist.decision(PlainJavaAllowlist.admit(encoded.json())))) {
            throw new IllegalStateException("the policies disagree or do not allow the benchmark input");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        aotHost.close();
        aotHostWorkers.close();
        interpretedHost.close();
    }

    /**
     * The example as shipped (ABI 1.1). Named for its ABI so that result files of this benchmark never mix with
     * those of {@code aotHost}, which measured the same example built for ABI 1.0 until ADR 0028.
     */
    @Benchmark
    public AdmitOutcome aotHostAbi11() {
        return aotHost.admit("bench", aotModule, input);
    }

    /** The same call handed to a policy worker thread and back (the host's other mode). */
    @Benchmark
    public AdmitOutcome aotHostAbi10() {
        return aotHost.admit("bench", abi10Module, input);
    }

    @Benchmark
    public AdmitOutcome aotHostWorkers() {
        return aotHostWorkers.admit("bench", aotWorkersModule, input);
    }

    @Benchmark
    public AdmitOutcome interpretedHost() {
        return interpretedHost.admit("bench", interpretedModule, input);
    }

    @Benchmark
    public String aotDirect() {
        EncodedInput in = aotDirect.encode(input);
        return aotDirect.checkAdmit(aotDirect.callAdmit(in), in);
    }

    @Benchmark
    public String interpretedDirect() {
        EncodedInput in = StepwiseCall.encodeAdmit(input, false);
        return interpretedDirect.checkAdmit(interpretedDirect.callAdmit(in), in);
    }

    @Benchmark
    public String plainJava() {
        EncodedInput in = StepwiseCall.encodeAdmit(input, false);
        return PlainJavaAllowlist.decision(PlainJavaAllowlist.admit(in.json()));
    }

    /** The Extism call of a guest that ignores its input and allows: the floor of any guest call. */
    @Benchmark
    public byte[] floorCallConstant() {
        return floorConstant.callAdmit(encoded);
    }

    /** As {@link #floorCallConstant}, plus reading the whole input through the kernel as PDKs do. */
    @Benchmark
    public byte[] floorCallReadInput() {
        return floorReadInput.callAdmit(encoded);
    }

    /** The whole host path for the constant guest: host bookkeeping, encode, call floor, output checks. */
    @Benchmark
    public AdmitOutcome floorHost() {
        return aotHost.admit("bench", floorConstantModule, input);
    }

    /**
     * The whole host path for an SDK plugin that reads the input and allows without looking at it: the
     * floor under any SDK-built admit policy fed ABI v1's full input.
     */
    @Benchmark
    public AdmitOutcome floorSdkHost() {
        return aotHost.admit("bench", sdkFloorModule, input);
    }

    @Benchmark
    public EncodedInput stepEncodeInput() {
        return aotDirect.encode(input);
    }

    @Benchmark
    public EncodedInput stepEncodeInputAbi10() {
        return StepwiseCall.encodeAdmit(input, false);
    }

    @Benchmark
    public byte[] stepExtismCall() {
        return aotDirect.callAdmit(encodedSlots);
    }

    @Benchmark
    public byte[] stepExtismCallAbi10() {
        return abi10Direct.callAdmit(encoded);
    }

    /** Prototype of declared reads (ADR 0028): the 1.0 guest on a document of only the members it reads. */
    @Benchmark
    public byte[] stepExtismCallAbi10DeclaredReads() {
        return abi10Direct.callAdmit(declaredReadsJson);
    }

    @Benchmark
    public String stepValidateOutput() {
        return aotDirect.checkAdmit(aotOutput, encodedSlots);
    }
}
