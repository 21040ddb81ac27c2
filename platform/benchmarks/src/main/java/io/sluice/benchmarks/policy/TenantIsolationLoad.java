package io.sluice.benchmarks.policy;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.PolicyErrorKind;
import io.sluice.policy.host.PolicyHost;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyTelemetry;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;

/**
 * PERF-2 / POL-5 load driver: tenant B's admit latency alone, then while tenant A's endless-loop plugin
 * is hammered from several threads (each sending 500 requests/s), in the same process with the production limits, once with the
 * quarantine of repeatedly failing plugins on (the default) and once with it off (only the tenant
 * concurrency bound protects B). Phases alternate so slow drift of the machine affects all alike.
 *
 * <pre>
 * java -cp platform/benchmarks/target/benchmarks.jar io.sluice.benchmarks.policy.TenantIsolationLoad \
 *      [seconds-per-phase=5] [repeats=3] [attacker-threads=4]
 * </pre>
 */
public final class TenantIsolationLoad {
    private static final long ATTACK_INTERVAL_NANOS = 2_000_000L;
    private TenantIsolationLoad() {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int attackers = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        PolicyLimits limits = PolicyLimits.defaults();
        PolicyLimits noQuarantine = limits.toBuilder().quarantineAfter(0).build();
        System.out.printf("limits: callTimeout=%s workers=%d tenantConcurrency=%d quarantineAfter=%d; %d s per phase,"
                        + " %d repeats, %d attacker threads, %d cpus%n",
                limits.callTimeout(), limits.workerThreads(), limits.tenantConcurrency(), limits.quarantineAfter(),
                seconds, repeats, attackers, Runtime.getRuntime().availableProcessors());
        try (PolicyHost host = PolicyHost.create(limits, PolicyTelemetry.NONE);
                PolicyHost unguarded = PolicyHost.create(noQuarantine, PolicyTelemetry.NONE)) {
            byte[] good = BenchInputs.plugin(BenchInputs.PLUGIN);
            byte[] loop = BenchInputs.plugin("/policies/hostile/endless-loop.wasm");
            Setup guarded = new Setup(host, host.compile(good), host.compile(loop));
            Setup open = new Setup(unguarded, unguarded.compile(good), unguarded.compile(loop));
            AdmitInput b = BenchInputs.admit("tenant-b");

            run(guarded, b, seconds * 1000L); // warm-up, discarded
            run(open, b, seconds * 1000L);
            List<long[]> baselines = new ArrayList<>();
            List<long[]> attackedGuarded = new ArrayList<>();
            List<long[]> attackedOpen = new ArrayList<>();
            for (int r = 1; r <= repeats; r++) {
                baselines.add(report("repeat " + r + " baseline (B alone)", run(guarded, b, seconds * 1000L)));
                attackedGuarded.add(attack("repeat " + r + " A spinning, quarantine on", guarded, b, seconds, attackers));
                attackedOpen.add(attack("repeat " + r + " A spinning, quarantine off", open, b, seconds, attackers));
            }
            long baseP99 = median(baselines, 1);
            System.out.printf("median over repeats: baseline p50=%.1f us p99=%.1f us%n",
                    median(baselines, 0) / 1000.0, baseP99 / 1000.0);
            for (var e : List.of(Map.entry("quarantine on ", attackedGuarded), Map.entry("quarantine off", attackedOpen))) {
                long p99 = median(e.getValue(), 1);
                System.out.printf("median over repeats: A spinning, %s p50=%.1f us p99=%.1f us, p99 / baseline p99 = %.2f%n",
                        e.getKey(), median(e.getValue(), 0) / 1000.0, p99 / 1000.0, (double) p99 / baseP99);
            }
        }
    }

    private record Setup(PolicyHost host, PolicyModule good, PolicyModule loop) {}

    private static long[] attack(String phase, Setup s, AdmitInput b, int seconds, int attackers) throws InterruptedException {
        AdmitInput a = BenchInputs.admit("tenant-a");
        Map<PolicyErrorKind, long[]> aKinds = new EnumMap<>(PolicyErrorKind.class);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < attackers; i++) {
            Thread t = new Thread(() -> {
                long next = System.nanoTime();
                while (!stop.get()) {
                    // Paced like a busy client (500 requests/s per thread), not a tight loop: once A is
                    // quarantined its calls return at once, and an unpaced loop would measure the
                    // attacker's own CPU use instead of the host's isolation.
                    next += ATTACK_INTERVAL_NANOS;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    } else {
                        next = System.nanoTime();
                    }
                    AdmitOutcome o = s.host().admit("tenant-a", s.loop(), a);
                    PolicyErrorKind k = o.isError() ? o.error().kind() : PolicyErrorKind.TRAP;
                    synchronized (aKinds) {
                        aKinds.computeIfAbsent(k, x -> new long[1])[0]++;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        Thread.sleep(200);
        long[] result = report(phase, run(s, b, seconds * 1000L));
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        StringBuilder kinds = new StringBuilder();
        aKinds.forEach((k, v) -> kinds.append(k.label()).append('=').append(v[0]).append(' '));
        System.out.println("  tenant A outcomes: " + kinds.toString().trim());
        return result;
    }

    private static Histogram run(Setup s, AdmitInput in, long millis) {
        Histogram h = new Histogram(3_600_000_000L, 3);
        long end = System.currentTimeMillis() + millis;
        Map<String, Integer> errors = new java.util.TreeMap<>();
        while (System.currentTimeMillis() < end) {
            long t0 = System.nanoTime();
            AdmitOutcome o = s.host().admit(in.tenant().id(), s.good(), in);
            h.recordValue(System.nanoTime() - t0);
            if (!o.isAllowed()) {
                errors.merge(o.isError() ? o.error().kind().label() : o.outcomeLabel(), 1, Integer::sum);
            }
        }
        if (!errors.isEmpty()) {
            System.out.println("  tenant B calls without an allow: " + errors);
        }
        return h;
    }

    /** Prints a phase and returns {p50, p99} in nanoseconds. */
    private static long[] report(String phase, Histogram h) {
        System.out.printf("%-40s n=%7d p50=%8.1f us p99=%8.1f us p99.9=%8.1f us max=%8.1f us%n", phase, h.getTotalCount(),
                h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0);
        return new long[] {h.getValueAtPercentile(50), h.getValueAtPercentile(99)};
    }

    private static long median(List<long[]> values, int index) {
        long[] v = values.stream().mapToLong(x -> x[index]).sorted().toArray();
        return v[v.length / 2];
    }
}
