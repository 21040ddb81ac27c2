package io.sluice.benchmarks.policy;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.ExecutionMode;
import io.sluice.policy.host.PolicyHost;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyTelemetry;
import io.sluice.policy.host.diagnostics.EncodedInput;
import io.sluice.policy.host.diagnostics.StepwiseCall;
import java.nio.charset.StandardCharsets;
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
 * PERF-2: the host's own work around one {@code admit} call:
 *
 * <ul>
 *   <li>{@code encode}: typed input to ABI 1.0 JSON bytes with its facts ({@link StepwiseCall#encodeAdmit});
 *   <li>{@code encodeSlots}: the same input in the ABI 1.1 slot layout ({@link StepwiseCall#encodeAdmitSlots});
 *   <li>{@code check*}: checking the guest's output (the streaming checks behind {@link StepwiseCall#checkAdmit});
 *       {@code Allow} is the model-allowlist example's real output for the benchmark input, {@code Modify} a
 *       modify that uses every member;
 *   <li>{@code hostSteps}: encode + check of the allow output, the host's per-call work outside the guest.
 * </ul>
 *
 * The Jackson-tree-and-schema path these replaced was measured side by side with them at commit f9aec55
 * (docs/benchmarks/policy-host.md); the tests keep it as the reference the new code must agree with.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HostStepsBenchmark {
    private PolicyHost host;
    private StepwiseCall direct;
    private AdmitInput input;
    private EncodedInput encoded;
    private byte[] allowOutput;
    private byte[] modifyOutput;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        host = PolicyHost.create(PolicyLimits.builder().callTimeout(Duration.ofSeconds(1)).build(), PolicyTelemetry.NONE,
                ExecutionMode.COMPILED);
        PolicyModule module = host.compile(BenchInputs.plugin(BenchInputs.PLUGIN));
        PolicyLimits limits = PolicyLimits.builder().build();
        direct = StepwiseCall.of(module, limits);
        input = BenchInputs.admit("bench");
        encoded = StepwiseCall.encodeAdmit(input, false);
        allowOutput = direct.callAdmit(direct.encode(input));
        modifyOutput = ("{\"decision\":\"modify\",\"reason\":\"capped for tier gold\",\"modifications\":"
                + "{\"max_tokens\":128,\"priority\":\"batch\",\"deadline_ms\":30000,\"labels\":{\"capped\":\"true\"}}}")
                .getBytes(StandardCharsets.UTF_8);
        if (!"allow".equals(direct.checkAdmit(allowOutput, encoded)) || !"modify".equals(direct.checkAdmit(modifyOutput, encoded))) {
            throw new IllegalStateException("the benchmark outputs are not judged as expected");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        host.close();
    }

    @Benchmark
    public EncodedInput encode() {
        return StepwiseCall.encodeAdmit(input, false);
    }

    @Benchmark
    public EncodedInput encodeSlots() {
        return StepwiseCall.encodeAdmitSlots(input, false);
    }

    @Benchmark
    public String checkAllow() {
        return direct.checkAdmit(allowOutput, encoded);
    }

    @Benchmark
    public String checkModify() {
        return direct.checkAdmit(modifyOutput, encoded);
    }

    @Benchmark
    public String hostSteps() {
        EncodedInput in = StepwiseCall.encodeAdmit(input, false);
        return direct.checkAdmit(allowOutput, in);
    }
}
