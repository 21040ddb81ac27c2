package io.sluice.benchmarks.admission;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Closed-loop load driver for admission (PERF-2): {@code POST /v1/tasks} against a running Sluice on
 * loopback, alternating phases for two tenants — one without a policy and one whose admit policy is bound —
 * so that the policy's cost on admission throughput and latency is measured side by side in one run.
 *
 * <p>Bounded: only loopback URLs, a fixed number of client threads, a fixed duration per phase.
 *
 * <pre>
 * java -cp platform/benchmarks/target/benchmarks.jar io.sluice.benchmarks.admission.AdmissionLoad \
 *     URL TOKEN_PLAIN TOKEN_POLICY SECONDS_PER_PHASE REPEATS THREADS
 * </pre>
 */
public final class AdmissionLoad {
    private static final String BODY = "{\"task_id\":\"%s\",\"session_id\":\"%s\",\"workload\":\"completion\",\"model_ref\":\"dev-tiny\","
            + "\"prompt\":\"Hello, Sluice\",\"max_tokens\":1,\"deadline_ms\":60000,\"kv_hint\":\"cold\"}";

    private record Phase(String name, long requests, double perSecond, Histogram latency, Map<Integer, Long> statuses) {}

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: AdmissionLoad URL TOKEN_PLAIN TOKEN_POLICY SECONDS_PER_PHASE REPEATS THREADS");
            System.exit(64);
        }
        URI base = URI.create(args[0]);
        if (!"127.0.0.1".equals(base.getHost()) && !"localhost".equals(base.getHost())) {
            throw new IllegalArgumentException("load is only ever sent to loopback, not " + base.getHost());
        }
        int seconds = Integer.parseInt(args[3]);
        int repeats = Integer.parseInt(args[4]);
        int threads = Integer.parseInt(args[5]);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        // warm-up of both paths (JIT, connection pools, policy instances)
        print(run(client, base, args[1], 20, threads, "warm-up-1"));
        print(run(client, base, args[2], 20, threads, "warm-up-2"));
        List<Phase> plain = new ArrayList<>();
        List<Phase> policy = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            // ABBA order, so a drift in the platform (JIT, caches, table growth) does not favour one side
            if (r % 2 == 0) {
                plain.add(print(run(client, base, args[1], seconds, threads, "plain#" + r)));
                policy.add(print(run(client, base, args[2], seconds, threads, "policy#" + r)));
            } else {
                policy.add(print(run(client, base, args[2], seconds, threads, "policy#" + r)));
                plain.add(print(run(client, base, args[1], seconds, threads, "plain#" + r)));
            }
        }
        double plainRate = median(plain.stream().mapToDouble(Phase::perSecond).toArray());
        double policyRate = median(policy.stream().mapToDouble(Phase::perSecond).toArray());
        System.out.printf("median throughput: plain %.1f/s, policy %.1f/s, overhead %.1f %%%n", plainRate, policyRate,
                100.0 * (plainRate - policyRate) / plainRate);
        double plainP50 = median(plain.stream().mapToDouble(p -> p.latency().getValueAtPercentile(50) / 1000.0).toArray());
        double policyP50 = median(policy.stream().mapToDouble(p -> p.latency().getValueAtPercentile(50) / 1000.0).toArray());
        double plainP99 = median(plain.stream().mapToDouble(p -> p.latency().getValueAtPercentile(99) / 1000.0).toArray());
        double policyP99 = median(policy.stream().mapToDouble(p -> p.latency().getValueAtPercentile(99) / 1000.0).toArray());
        System.out.printf("median latency: plain p50 %.2f ms p99 %.2f ms; policy p50 %.2f ms p99 %.2f ms%n", plainP50, plainP99, policyP50,
                policyP99);
    }

    private static Phase print(Phase p) {
        System.out.printf("%-10s %6d requests %8.1f/s  p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  statuses %s%n", p.name(), p.requests(),
                p.perSecond(), p.latency().getValueAtPercentile(50) / 1000.0, p.latency().getValueAtPercentile(90) / 1000.0,
                p.latency().getValueAtPercentile(99) / 1000.0, p.statuses());
        return p;
    }

    private static Phase run(HttpClient client, URI base, String token, int seconds, int threads, String name) throws Exception {
        Histogram latency = new ConcurrentHistogram(60_000_000L, 3);
        LongAdder count = new LongAdder();
        Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    while (System.nanoTime() < end) {
                        String id = UUID.randomUUID().toString();
                        HttpRequest req = HttpRequest.newBuilder(base.resolve("/v1/tasks"))
                                .header("Authorization", "Bearer " + token)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(BODY.formatted(id, id)))
                                .build();
                        long t0 = System.nanoTime();
                        HttpResponse<Void> resp = client.send(req, HttpResponse.BodyHandlers.discarding());
                        latency.recordValue((System.nanoTime() - t0) / 1000);
                        count.increment();
                        statuses.computeIfAbsent(resp.statusCode(), k -> new AtomicLong()).incrementAndGet();
                    }
                } catch (Exception e) {
                    System.err.println("client thread stopped: " + e);
                } finally {
                    done.countDown();
                }
            }, "admission-load-" + t);
            th.start();
        }
        done.await();
        Map<Integer, Long> st = new TreeMap<>();
        statuses.forEach((k, v) -> st.put(k, v.get()));
        return new Phase(name, count.sum(), count.sum() / (double) seconds, latency, st);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
