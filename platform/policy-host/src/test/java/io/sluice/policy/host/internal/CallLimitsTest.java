package io.sluice.policy.host.internal;

import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.ExecutionMode;
import io.sluice.policy.host.Inputs;
import io.sluice.policy.host.PolicyErrorKind;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyTelemetry;
import io.sluice.policy.host.PolicyValidationException;
import io.sluice.policy.host.TestPlugins;
import io.sluice.policy.host.internal.call.ThreadCpuClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The call limit charges the guest's CPU time, so a slow machine cannot trip it, while a wall-clock stop
 * still ends calls that make no progress (ADR 0007). "Slow machine" is played two ways: a wall clock that
 * runs a thousand times faster than real time (deterministic), and real busy threads on every core.
 */
@DisplayName("POL-2 the call limit is CPU time: load cannot trip it, endless loops still stop")
class CallLimitsTest {
    private static final String TENANT = "limits-acme";

    @Test
    @DisplayName("an endless loop is stopped by the CPU-time limit and reported as TIMEOUT")
    void endlessLoopIsStoppedByItsCpuBudget() throws Exception {
        try (HostRuntime host = new HostRuntime(PolicyLimits.defaults(), ExecutionMode.COMPILED, PolicyTelemetry.NONE)) {
            PolicyModule loop = compile(host, TestPlugins.hostile("endless-loop"));
            AdmitOutcome o = host.admit(TENANT, loop, Inputs.admit(TENANT));
            assertThat(o.isError()).isTrue();
            assertThat(o.error().kind()).isEqualTo(PolicyErrorKind.TIMEOUT);
            assertThat(o.error().message()).contains("CPU time limit of 10 ms");
        }
    }

    @Test
    @DisplayName("calls whose wall time is a thousand times their CPU time are not failed")
    void wallTimeSpentOffCpuIsNotCharged() throws Exception {
        // Every real microsecond reads as a millisecond: a 30 µs call looks like 30 ms of wall time, three
        // times the old 10 ms wall-clock limit, while its CPU time stays around 30 µs.
        LongSupplier fast = acceleratedClock(1_000);
        PolicyLimits limits = PolicyLimits.builder()
                .callTimeout(Duration.ofMillis(10))
                .callWallTimeout(Duration.ofSeconds(60)) // 60 ms of real time
                .instantiateTimeout(Duration.ofHours(1)) // 3.6 s of real time, for instantiation and upload
                .queueTimeout(Duration.ofSeconds(2))
                .build();
        try (HostRuntime host = new HostRuntime(limits, ExecutionMode.COMPILED, PolicyTelemetry.NONE, fast, ThreadCpuClock.jvm())) {
            PolicyModule allow = compile(host, TestPlugins.example("model-allowlist"));
            Map<String, Integer> notAllowed = new TreeMap<>();
            for (int i = 0; i < 200; i++) {
                AdmitOutcome o = host.admit(TENANT, allow, Inputs.admit(TENANT));
                if (!o.isAllowed()) {
                    notAllowed.merge(String.valueOf(o.error()), 1, Integer::sum);
                }
            }
            assertThat(notAllowed).as("outcomes other than allow").isEmpty();
        }
    }

    @Test
    @DisplayName("a call that uses no CPU time is still stopped by the wall-clock stop")
    void wallClockStopEndsCallsTheCpuLimitCannotSee() throws Exception {
        // The CPU clock stands still, as for a thread that is blocked or never scheduled.
        PolicyLimits limits = PolicyLimits.builder().callWallTimeout(Duration.ofMillis(200)).build();
        try (HostRuntime host = new HostRuntime(limits, ExecutionMode.COMPILED, PolicyTelemetry.NONE, System::nanoTime, t -> 0L)) {
            PolicyModule loop = compile(host, TestPlugins.hostile("endless-loop"));
            AdmitOutcome o = host.admit(TENANT, loop, Inputs.admit(TENANT));
            assertThat(o.isError()).isTrue();
            assertThat(o.error().kind()).isEqualTo(PolicyErrorKind.TIMEOUT);
            assertThat(o.error().message()).contains("wall-clock stop of 200 ms");
        }
    }

    @Test
    @DisplayName("with every core busy, a trivial plugin under production limits is never failed")
    void saturatedMachineDoesNotFailTrivialCalls() throws Exception {
        try (HostRuntime host = new HostRuntime(PolicyLimits.defaults(), ExecutionMode.COMPILED, PolicyTelemetry.NONE)) {
            PolicyModule allow = compile(host, TestPlugins.example("model-allowlist"));
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> busy = new ArrayList<>();
            // Three runnable spinners per core: the calling thread gets a core a fraction of the time.
            int spinners = 3 * Runtime.getRuntime().availableProcessors();
            Map<String, Integer> notAllowed = new TreeMap<>();
            try {
                for (int i = 0; i < spinners; i++) {
                    Thread t = new Thread(() -> {
                        long x = 0;
                        while (!stop.get()) {
                            x++;
                        }
                        if (x == 42) {
                            System.out.print("");
                        }
                    }, "spinner-" + i);
                    t.setDaemon(true);
                    t.start();
                    busy.add(t);
                }
                for (int i = 0; i < 1_000; i++) {
                    AdmitOutcome o = host.admit(TENANT, allow, Inputs.admit(TENANT));
                    if (!o.isAllowed()) {
                        notAllowed.merge(String.valueOf(o.error()), 1, Integer::sum);
                    }
                }
            } finally {
                stop.set(true);
                for (Thread t : busy) {
                    t.join(10_000);
                }
            }
            assertThat(notAllowed).as("outcomes other than allow").isEmpty();
        }
    }

    /** A clock that starts at real time and runs {@code factor} times faster. */
    private static LongSupplier acceleratedClock(long factor) {
        long origin = System.nanoTime();
        return () -> origin + (System.nanoTime() - origin) * factor;
    }

    private static PolicyModule compile(HostRuntime host, byte[] wasm) {
        try {
            return host.compile(wasm, List.of());
        } catch (PolicyValidationException e) {
            throw new AssertionError("module refused: " + e.getMessage(), e);
        }
    }
}
