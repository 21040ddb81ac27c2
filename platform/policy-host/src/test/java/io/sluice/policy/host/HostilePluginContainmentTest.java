package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("POL-2 POL-5 REL-3 hostile plugins are contained: typed error, instance discarded, host keeps serving")
class HostilePluginContainmentTest {

    static Stream<Arguments> hostileAdmits() {
        return Stream.of(
                Arguments.of("memory-bomb-linear", PolicyErrorKind.MEMORY, "memory budget"),
                Arguments.of("memory-bomb-kernel", PolicyErrorKind.MEMORY, "Extism kernel"),
                Arguments.of("huge-output", PolicyErrorKind.INVALID_OUTPUT, "100000 bytes exceeds the limit of 65536"),
                Arguments.of("trap", PolicyErrorKind.TRAP, "unreachable"),
                Arguments.of("invalid-json", PolicyErrorKind.INVALID_OUTPUT, "not a valid UTF-8 JSON"),
                Arguments.of("abi11-invalid-json", PolicyErrorKind.INVALID_OUTPUT, "not a valid UTF-8 JSON"),
                Arguments.of("loosening-modify", PolicyErrorKind.INVALID_OUTPUT, "max_tokens 1000000 is above the requested 256"),
                Arguments.of("proc-exit", PolicyErrorKind.TRAP, "proc_exit(3)"),
                Arguments.of("stack-overflow", PolicyErrorKind.TRAP, "call stack exhausted"),
                Arguments.of("error-return", PolicyErrorKind.TRAP, "quota service unavailable"),
                Arguments.of("error-needs-prompt", PolicyErrorKind.TRAP,
                        "plugin returned status 1: (the plugin set an error message; not recorded because the plugin reads the prompt, SEC-4)"),
                Arguments.of("error-then-trap", PolicyErrorKind.TRAP, "Trapped on unreachable instruction; the plugin's error message: abort: quota table missing"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("hostileAdmits")
    void hostileAdmitIsContained(String plugin, PolicyErrorKind kind, String messagePart) throws Exception {
        PolicyHost host = TestHosts.relaxed();
        String tenant = "hostile-" + plugin;
        PolicyModule module = TestHosts.compile(host, TestPlugins.hostile(plugin));

        AdmitOutcome first = host.admit(tenant, module, Inputs.admit(tenant));

        assertThat(first.isError()).as("outcome %s", first).isTrue();
        assertThat(first.error().kind()).isEqualTo(kind);
        assertThat(first.error().message()).contains(messagePart);
        assertThat(first.decision()).isNull();
        assertThat(first.policy().digest()).isEqualTo(module.digest());
        PoolStats afterFirst = TestHosts.settled(host, tenant, module);
        assertThat(afterFirst.discarded()).as("failed instance is discarded").isEqualTo(1);
        assertThat(afterFirst.idle()).isZero();

        AdmitOutcome second = host.admit(tenant, module, Inputs.admit(tenant));
        assertThat(second.error().kind()).as("a fresh instance fails the same way").isEqualTo(kind);
        PoolStats afterSecond = TestHosts.settled(host, tenant, module);
        assertThat(afterSecond.created()).isEqualTo(2);
        assertThat(afterSecond.discarded()).isEqualTo(2);

        assertWellBehavedTenantServed(host);
    }

    @Test
    @DisplayName("POL-2 POL-5 an endless loop is interrupted at the 10 ms CPU-time call limit and its worker freed")
    void endlessLoopTimesOutAndFreesItsWorker() throws Exception {
        try (PolicyHost host = PolicyHost.create(PolicyLimits.defaults(), PolicyTelemetry.NONE)) {
            PolicyModule loop = TestHosts.compile(host, TestPlugins.hostile("endless-loop"));
            for (int i = 0; i < 3; i++) {
                AdmitOutcome o = host.admit("spinner", loop, Inputs.admit("spinner"));
                assertThat(o.isError()).isTrue();
                assertThat(o.error().kind()).isEqualTo(PolicyErrorKind.TIMEOUT);
                assertThat(o.error().message()).contains("CPU time limit of 10 ms");
            }
            PoolStats stats = TestHosts.settled(host, "spinner", loop);
            assertThat(stats.inUse()).as("interrupted guests unwound; no worker keeps spinning").isZero();
            assertThat(stats.discarded()).isEqualTo(3);
            assertThat(stats.idle()).isZero();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"memory-bomb-linear", "memory-bomb-kernel"})
    @DisplayName("POL-2 under the production limits a plugin growing its memory without end ends as memory while other guests spin, "
            + "within bounded CPU time and allocation")
    void memoryBombEndsAsMemoryUnderLoad(String plugin) throws Exception {
        // Growing into new arrays is the host's work and is not charged to the 10 ms CPU-time limit (ADR 0038). Before,
        // an estimated allowance covered it, and the bomb ended as timeout whenever the machine was busy.
        PolicyLimits limits = PolicyLimits.defaults();
        try (PolicyHost host = PolicyHost.create(limits, PolicyTelemetry.NONE)) {
            PolicyModule bomb = TestHosts.compile(host, TestPlugins.hostile(plugin));
            PolicyModule loop = TestHosts.compile(host, TestPlugins.hostile("endless-loop"));
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch spinning = new CountDownLatch(2);
            List<Thread> spinners = new ArrayList<>();
            List<Throwable> spinnerFailures = new CopyOnWriteArrayList<>();
            for (int t = 0; t < 2; t++) {
                String name = "spinner-" + t;
                Thread spinner = new Thread(() -> {
                    try {
                        for (int i = 0; !stop.get(); i++) {
                            // A new tenant per call, so that quarantine never answers instead of a spinning guest.
                            String tenant = name + "-" + i;
                            AdmitOutcome o = host.admit(tenant, loop, Inputs.admit(tenant));
                            assertThat(o.error().kind()).isEqualTo(PolicyErrorKind.TIMEOUT);
                            spinning.countDown();
                        }
                    } catch (Throwable e) {
                        spinnerFailures.add(e);
                    }
                }, name);
                spinner.start();
                spinners.add(spinner);
            }
            try {
                assertThat(spinning.await(30, TimeUnit.SECONDS)).as("both spinners ran a guest into its time limit; failures: %s", spinnerFailures).isTrue();
                com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                for (int i = 0; i < 5; i++) {
                    String tenant = "bomb-" + i; // one tenant per call, so quarantine never answers instead of the guest
                    long cpuBefore = threads.getCurrentThreadCpuTime();
                    long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
                    AdmitOutcome o = host.admit(tenant, bomb, Inputs.admit(tenant)); // runs on this thread (onCallerThread)
                    long cpu = threads.getCurrentThreadCpuTime() - cpuBefore;
                    long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
                    System.out.printf("[%s] call %d: %s, %.1f ms CPU, %.1f MB allocated, %.1f ms latency%n", plugin, i,
                            o.error(), cpu / 1e6, allocated / 1e6, o.latencyNanos() / 1e6);
                    assertThat(o.isError()).isTrue();
                    assertThat(o.error().kind()).as("call %d: %s", i, o.error()).isEqualTo(PolicyErrorKind.MEMORY);
                    assertThat(o.error().message()).contains("exceeds the memory budget of " + limits.memoryBytes() + " bytes");
                    // Growing to the budget allocates and copies a bounded amount: the doubling strategy's arrays add up to
                    // about 3.6 times the budget for one memory, plus the fresh instance the call starts with.
                    assertThat(allocated).as("bytes the call allocated").isLessThan(6 * limits.memoryBytes());
                    // The guest's own CPU time stays within the limit; the rest is that bounded growth work.
                    assertThat(cpu).as("CPU time of the call").isLessThan(TimeUnit.MILLISECONDS.toNanos(500));
                }
                assertThat(TestHosts.settled(host, "bomb-4", bomb).inUse()).isZero();
            } finally {
                stop.set(true);
                for (Thread spinner : spinners) {
                    spinner.join(TimeUnit.SECONDS.toMillis(30));
                }
            }
            assertThat(spinners).noneMatch(Thread::isAlive);
            assertThat(spinnerFailures).isEmpty();
        }
    }

    @Test
    @DisplayName("POL-2 route naming a replica that is not a candidate is invalid_output")
    void routeWithUnknownCandidateIsInvalid() throws Exception {
        PolicyHost host = TestHosts.relaxed();
        PolicyModule module = TestHosts.compile(host, TestPlugins.hostile("route-adds-candidate"));

        RouteOutcome o = host.route("router", module, Inputs.route("router"));

        assertThat(o.isError()).isTrue();
        assertThat(o.error().kind()).isEqualTo(PolicyErrorKind.INVALID_OUTPUT);
        assertThat(o.error().message()).contains("'pool-z/r99', which is not one of the candidates");
        assertThat(o.order()).isEmpty();
        assertThat(TestHosts.settled(host, "router", module).discarded()).isEqualTo(1);
    }

    @Test
    @DisplayName("POL-6 REL-3 a log flood is cut at the per-call log bound and the call still succeeds")
    void logFloodIsBounded() {
        PolicyHost host = TestHosts.relaxed();
        PolicyModule module = TestHosts.compile(host, TestPlugins.hostile("log-flood"));

        AdmitOutcome o = host.admit("chatty", module, Inputs.admit("chatty"));

        assertThat(o.isAllowed()).as("outcome %s", o).isTrue();
        assertThat(o.reason()).isEqualTo("logged a lot");
        int guestBytes = o.logs().stream()
                .filter(l -> l.startsWith("info: "))
                .mapToInt(l -> l.length() - "info: ".length())
                .sum();
        assertThat(guestBytes).isEqualTo(host.limits().logBytesPerCall());
        assertThat(o.logs().get(o.logs().size() - 1)).contains("further guest logs dropped");
        assertThat(o.logs().get(0)).isEqualTo("info: " + "x".repeat(99) + "!");
    }

    @Test
    @DisplayName("POL-2 a module whose start function never returns cannot hang the upload")
    void startFunctionLoopIsBoundedByInstantiationLimit() {
        PolicyLimits limits = TestHosts.relaxedLimits().instantiateTimeout(java.time.Duration.ofMillis(200)).build();
        try (PolicyHost host = PolicyHost.create(limits, PolicyTelemetry.NONE)) {
            PolicyValidationException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                    PolicyValidationException.class, () -> host.compile(TestPlugins.hostile("start-loop")));
            assertThat(e.reason()).isEqualTo(PolicyValidationException.Reason.DESCRIBE_FAILED);
            assertThat(e.getMessage()).contains("timeout").contains("200 ms");
            assertWellBehavedTenantServed(host);
        }
    }

    private static void assertWellBehavedTenantServed(PolicyHost host) {
        PolicyModule good = TestHosts.compile(host, TestPlugins.example("model-allowlist"));
        AdmitOutcome ok = host.admit("bystander", good, Inputs.admit("bystander"));
        assertThat(ok.isAllowed()).as("other tenant still served: %s", ok).isTrue();
    }
}
