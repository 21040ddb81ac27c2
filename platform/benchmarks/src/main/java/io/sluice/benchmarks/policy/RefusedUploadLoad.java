package io.sluice.benchmarks.policy;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.PolicyErrorKind;
import io.sluice.policy.host.PolicyHost;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyTelemetry;
import io.sluice.policy.host.PolicyValidationException;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;

/**
 * POL-9 load driver, two parts.
 *
 * <p><b>Refused uploads.</b> Tenant B's admit latency on the production limits, alone and while tenant A uploads
 * a 4 MB module with one huge function over and over (every {@code interval-ms}), in the same process:
 * <ul>
 *   <li>{@code refused (POL-9)}: the same bytes each time, the host as shipped — refused from the section headers
 *       once, then from the refused-digest memory;</li>
 *   <li>{@code compiled every time}: the behaviour before POL-9, reproduced by raising the header limits and
 *       changing one byte per upload, so that every upload is parsed and compiled (about 2.5 s each) before it is
 *       refused.</li>
 * </ul>
 * Baseline and POL-9 phases alternate per repeat so drift of the shared machine hits both alike; the
 * compile-every-time phases run last (at most two), since the garbage of each compile slows whatever follows.
 *
 * <p><b>Overshoot.</b> Guest CPU time and wall time of calls stopped by a limit (endless loop: time; memory bomb:
 * memory), measured on the calling thread, which runs the guest (the production mode), quarantine off.
 *
 * <pre>
 * java -cp platform/benchmarks/target/benchmarks.jar io.sluice.benchmarks.policy.RefusedUploadLoad \
 *      [seconds-per-phase=5] [repeats=3] [interval-ms=100] [overshoot-calls=200]
 * </pre>
 */
public final class RefusedUploadLoad {
    private RefusedUploadLoad() {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int intervalMs = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int overshootCalls = args.length > 3 ? Integer.parseInt(args[3]) : 200;
        PolicyLimits limits = PolicyLimits.defaults();
        PolicyLimits unguarded = limits.toBuilder().maxFunctionBodyBytes(limits.moduleBytes()).maxCodeBytes(limits.moduleBytes()).build();
        System.out.printf("limits: callTimeout=%s memory=%d maxFunctionBody=%d maxCode=%d; %d s per phase, %d repeats,"
                        + " an upload every %d ms, %d cpus%n", limits.callTimeout(), limits.memoryBytes(), limits.maxFunctionBodyBytes(),
                limits.maxCodeBytes(), seconds, repeats, intervalMs, Runtime.getRuntime().availableProcessors());
        byte[] oversized = oneHugeFunction(1_300_000);
        System.out.printf("oversized module: %d bytes, one function of about %d bytes%n", oversized.length, 3 * 1_300_000);
        try (PolicyHost host = PolicyHost.create(limits, PolicyTelemetry.NONE);
                PolicyHost oldHost = PolicyHost.create(unguarded, PolicyTelemetry.NONE)) {
            PolicyModule good = host.compile(BenchInputs.plugin(BenchInputs.PLUGIN));
            PolicyModule oldGood = oldHost.compile(BenchInputs.plugin(BenchInputs.PLUGIN));
            AdmitInput b = BenchInputs.admit("tenant-b");
            run(host, good, b, seconds * 1000L); // warm-up, discarded
            run(oldHost, oldGood, b, seconds * 1000L);
            Map<String, List<long[]>> phases = new TreeMap<>();
            for (int r = 1; r <= repeats; r++) {
                phases.computeIfAbsent("1 baseline (B alone)", k -> new ArrayList<>())
                        .add(report("repeat " + r + " baseline (B alone)", run(host, good, b, seconds * 1000L)));
                phases.computeIfAbsent("2 A uploading refused bytes (POL-9)", k -> new ArrayList<>())
                        .add(attack("repeat " + r + " A refused (POL-9)", host, good, b, seconds, intervalMs, i -> oversized));
            }
            // Last, because each compile leaves hundreds of MiB of garbage that would slow the phases after it.
            AtomicInteger distinct = new AtomicInteger();
            for (int r = 1; r <= Math.min(2, repeats); r++) {
                phases.computeIfAbsent("3 A uploading, compiled every time (before POL-9)", k -> new ArrayList<>())
                        .add(attack("repeat " + r + " A compiled every time", oldHost, oldGood, b, seconds, intervalMs,
                                i -> withCustomSection(oversized, distinct.incrementAndGet())));
            }
            long baseP50 = median(phases.get("1 baseline (B alone)"), 0);
            long baseP99 = median(phases.get("1 baseline (B alone)"), 1);
            for (var e : phases.entrySet()) {
                long p50 = median(e.getValue(), 0);
                long p99 = median(e.getValue(), 1);
                System.out.printf("median over repeats: %-50s p50=%8.1f us p99=%8.1f us  p50/base=%.2f p99/base=%.2f  (p99 range %.1f-%.1f us)%n",
                        e.getKey(), p50 / 1000.0, p99 / 1000.0, (double) p50 / baseP50, (double) p99 / baseP99,
                        e.getValue().stream().mapToLong(x -> x[1]).min().orElse(0) / 1000.0,
                        e.getValue().stream().mapToLong(x -> x[1]).max().orElse(0) / 1000.0);
            }
        }
        overshoot(limits, overshootCalls);
    }

    @FunctionalInterface
    private interface Bytes {
        byte[] upload(int i);
    }

    private static long[] attack(String phase, PolicyHost host, PolicyModule good, AdmitInput b, int seconds, int intervalMs, Bytes bytes)
            throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger uploads = new AtomicInteger();
        Map<String, Integer> refusals = new TreeMap<>();
        Thread a = new Thread(() -> {
            long next = System.nanoTime();
            while (!stop.get()) {
                next += intervalMs * 1_000_000L;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                } else {
                    next = System.nanoTime();
                }
                try {
                    host.compile(bytes.upload(uploads.incrementAndGet()));
                    synchronized (refusals) {
                        refusals.merge("accepted", 1, Integer::sum);
                    }
                } catch (PolicyValidationException e) {
                    synchronized (refusals) {
                        refusals.merge(e.reason().name() + (e.getMessage().endsWith(PolicyValidationException.REFUSED_BEFORE)
                                ? " (remembered)" : ""), 1, Integer::sum);
                    }
                }
            }
        }, "tenant-a-uploads");
        a.setDaemon(true);
        a.start();
        long[] result = report(phase, run(host, good, b, seconds * 1000L));
        stop.set(true);
        a.join();
        System.out.println("  tenant A uploads: " + refusals);
        return result;
    }

    private static Histogram run(PolicyHost host, PolicyModule good, AdmitInput in, long millis) {
        Histogram h = new Histogram(3_600_000_000L, 3);
        long end = System.currentTimeMillis() + millis;
        Map<String, Integer> errors = new TreeMap<>();
        while (System.currentTimeMillis() < end) {
            long t0 = System.nanoTime();
            AdmitOutcome o = host.admit(in.tenant().id(), good, in);
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

    /** Wall time and the calling thread's CPU time of calls stopped by a limit, in microseconds. */
    private static void overshoot(PolicyLimits production, int calls) throws Exception {
        PolicyLimits limits = production.toBuilder().quarantineAfter(0).build();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (PolicyHost host = PolicyHost.create(limits, PolicyTelemetry.NONE)) {
            for (String plugin : List.of("endless-loop", "memory-bomb-linear")) {
                PolicyModule m = host.compile(BenchInputs.plugin("/policies/hostile/" + plugin + ".wasm"));
                AdmitInput in = BenchInputs.admit("tenant-a");
                Histogram wall = new Histogram(3_600_000_000L, 3);
                Histogram cpu = new Histogram(3_600_000_000L, 3);
                Map<PolicyErrorKind, Integer> kinds = new TreeMap<>();
                for (int i = 0; i < calls + 20; i++) {
                    long c0 = threads.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    AdmitOutcome o = host.admit("tenant-a", m, in);
                    long w = System.nanoTime() - t0;
                    long c = threads.getCurrentThreadCpuTime() - c0;
                    if (i < 20) {
                        continue; // JIT warm-up of the host path
                    }
                    wall.recordValue(w / 1000);
                    cpu.recordValue(Math.max(0, c) / 1000);
                    kinds.merge(o.error().kind(), 1, Integer::sum);
                }
                System.out.printf("overshoot %-20s %s: cpu p50=%d p99=%d max=%d us; wall p50=%d p99=%d max=%d us (limit %d us CPU)%n",
                        plugin, kinds, cpu.getValueAtPercentile(50), cpu.getValueAtPercentile(99), cpu.getMaxValue(),
                        wall.getValueAtPercentile(50), wall.getValueAtPercentile(99), wall.getMaxValue(),
                        limits.callTimeout().toNanos() / 1000);
            }
        }
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

    /** A module whose {@code admit} is {@code i32.const 0; drop} repeated: 3 bytes per repeat, one function. */
    static byte[] oneHugeFunction(int repeats) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00});
        section(out, 1, new byte[] {0x01, 0x60, 0x00, 0x01, 0x7f});
        section(out, 3, new byte[] {0x02, 0x00, 0x00});
        section(out, 5, new byte[] {0x01, 0x00, 0x01});
        ByteArrayOutputStream exports = new ByteArrayOutputStream();
        exports.write(3);
        export(exports, "memory", 2, 0);
        export(exports, "describe", 0, 0);
        export(exports, "admit", 0, 1);
        section(out, 7, exports.toByteArray());
        byte[] describe = {0x00, 0x41, 0x00, 0x0b};
        ByteArrayOutputStream admit = new ByteArrayOutputStream();
        admit.write(0x00);
        for (int i = 0; i < repeats; i++) {
            admit.writeBytes(new byte[] {0x41, 0x00, 0x1a});
        }
        admit.writeBytes(new byte[] {0x41, 0x00, 0x0b});
        ByteArrayOutputStream code = new ByteArrayOutputStream();
        code.write(2);
        leb(code, describe.length);
        code.writeBytes(describe);
        leb(code, admit.size());
        code.writeBytes(admit.toByteArray());
        section(out, 10, code.toByteArray());
        return out.toByteArray();
    }

    /** Distinct bytes with the same behaviour: an empty custom section whose name carries {@code i}. */
    static byte[] withCustomSection(byte[] wasm, int i) {
        ByteArrayOutputStream custom = new ByteArrayOutputStream();
        byte[] name = ("n" + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        leb(custom, name.length);
        custom.writeBytes(name);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(wasm);
        section(out, 0, custom.toByteArray());
        return out.toByteArray();
    }

    private static void export(ByteArrayOutputStream out, String name, int kind, int index) {
        leb(out, name.length());
        out.writeBytes(name.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.write(kind);
        leb(out, index);
    }

    private static void section(ByteArrayOutputStream out, int id, byte[] content) {
        out.write(id);
        leb(out, content.length);
        out.writeBytes(content);
    }

    private static void leb(ByteArrayOutputStream out, int value) {
        int v = value;
        do {
            int b = v & 0x7f;
            v >>>= 7;
            out.write(v != 0 ? b | 0x80 : b);
        } while (v != 0);
    }
}
