package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("POL-5 one tenant's plugin cannot see another tenant's data or take its capacity")
class TenantIsolationTest {

    @Test
    void instancesAreNeverSharedBetweenTenants() {
        PolicyHost host = TestHosts.relaxed();
        PolicyModule m = TestHosts.compile(host, TestPlugins.hostile("cross-call-memory"));

        AdmitOutcome aFirst = host.admit("iso-acme", m, Inputs.admit("iso-acme"));
        AdmitOutcome aSecond = host.admit("iso-acme", m, Inputs.admit("iso-acme"));
        AdmitOutcome bFirst = host.admit("iso-globex", m, Inputs.admit("iso-globex"));

        String zeros = "0".repeat(128);
        assertThat(aFirst.reason()).as("a fresh instance has nothing to leak").isEqualTo(zeros);
        String acmeHex = HexFormat.of().formatHex("iso-acme".getBytes(StandardCharsets.UTF_8));
        assertThat(aSecond.reason()).as("same tenant sees its own previous input").contains(acmeHex);
        assertThat(bFirst.reason()).as("another tenant never sees it").isEqualTo(zeros);
        assertThat(host.poolStats("iso-acme", m).created()).isEqualTo(1);
        assertThat(host.poolStats("iso-globex", m).created()).isEqualTo(1);
    }

    @Test
    void callerCannotRunAPolicyOnAnotherTenantsInput() {
        PolicyHost host = TestHosts.relaxed();
        PolicyModule m = TestHosts.compile(host, TestPlugins.example("model-allowlist"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> host.admit("iso-acme", m, Inputs.admit("iso-globex")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not match the calling tenant");
    }

    @Test
    @DisplayName("POL-5 while tenant A's endless loop is hammered from 4 threads, tenant B's admits still succeed")
    void spinningTenantDoesNotStarveOthers() throws Exception {
        // The CPU-time limit is raised so that A's calls each hold a thread for 250 ms of spinning, which
        // makes starvation easier, not harder. B's calls are charged their own CPU time only, so however
        // loaded the build machine is, they cannot time out (ADR 0007).
        PolicyLimits limits = PolicyLimits.builder()
                .callTimeout(Duration.ofMillis(250))
                .workerThreads(4)
                .tenantConcurrency(1)
                .queueTimeout(Duration.ofSeconds(1))
                .build();
        try (PolicyHost host = PolicyHost.create(limits, PolicyTelemetry.NONE)) {
            PolicyModule loop = TestHosts.compile(host, TestPlugins.hostile("endless-loop"));
            PolicyModule allow = TestHosts.compile(host, TestPlugins.example("model-allowlist"));

            long[] baseline = measureTenantB(host, allow, 300);

            AtomicBoolean stop = new AtomicBoolean();
            Map<PolicyErrorKind, AtomicInteger> aKinds = new ConcurrentHashMap<>();
            List<Thread> hammers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        // Paced like a client: a quarantined plugin answers at once, and a tight loop
                        // would then only measure the hammer threads' own CPU use.
                        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
                        AdmitOutcome o = host.admit("iso-spinner", loop, Inputs.admit("iso-spinner"));
                        PolicyErrorKind k = o.isError() ? o.error().kind() : null;
                        aKinds.computeIfAbsent(k == null ? PolicyErrorKind.TRAP : k, x -> new AtomicInteger()).incrementAndGet();
                        assertThat(o.isError()).isTrue();
                    }
                }, "hammer-" + i);
                t.start();
                hammers.add(t);
            }
            // Measure B only once A's loop has really run (and been stopped) at least once.
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (aKinds.get(PolicyErrorKind.TIMEOUT) == null && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            long[] underAttack = measureTenantB(host, allow, 300);
            stop.set(true);
            for (Thread t : hammers) {
                t.join(10_000);
            }

            System.out.printf("POL-5 tenant B admit latency alone: p50=%d us p99=%d us; while A spins: p50=%d us p99=%d us; A outcomes %s%n",
                    pct(baseline, 50), pct(baseline, 99), pct(underAttack, 50), pct(underAttack, 99), aKinds);
            assertThat(aKinds.keySet()).isSubsetOf(PolicyErrorKind.TIMEOUT, PolicyErrorKind.REJECTED);
            assertThat(aKinds.get(PolicyErrorKind.TIMEOUT)).as("A's loop really ran").isNotNull();
            assertThat(TestHosts.settled(host, "iso-spinner", loop).inUse()).isZero();
        }
    }

    /** Runs B's admits and returns their latencies; every one must be an allow. */
    private static long[] measureTenantB(PolicyHost host, PolicyModule allow, int n) {
        long[] lat = new long[n];
        Map<String, Integer> failures = new java.util.TreeMap<>();
        for (int i = 0; i < n; i++) {
            AdmitOutcome o = host.admit("iso-bystander", allow, Inputs.admit("iso-bystander"));
            if (!o.isAllowed()) {
                failures.merge(String.valueOf(o.error()), 1, Integer::sum);
            }
            lat[i] = o.latencyNanos();
        }
        assertThat(failures).as("tenant B outcomes that were not allow").isEmpty();
        Arrays.sort(lat);
        return lat;
    }

    private static long pct(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)] / 1000;
    }

}
