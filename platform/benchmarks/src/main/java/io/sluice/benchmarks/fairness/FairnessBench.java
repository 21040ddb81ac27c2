package io.sluice.benchmarks.fairness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sluice.benchmarks.fairness.FairnessAnalysis.Flow;
import io.sluice.benchmarks.load.LocalStack;
import io.sluice.benchmarks.load.MachineInfo;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/sluice bench fairness}: the fairness harness through the HTTP API (SCH-1, SCH-4). Starts the
 * {@code start-dev} shape on loopback (pools of simulator slots serving {@code dev-tiny}), registers tenants with
 * their weights through the admin API, runs closed-loop clients per (tenant, priority) flow — many more than the slots,
 * so that every queue is backlogged — and reports each flow's measured share of the dispatches made while every flow
 * was backlogged against its configured share, and the error of {@code predicted_start_ms}. Writes
 * {@code docs/benchmarks/results/fairness/<date>-fairness-t<n>-<k>.json}.
 */
public final class FairnessBench {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** SCH-1's default priority weights, which the dev configuration keeps. */
    private static final Map<String, Double> PRIORITY_WEIGHTS = Map.of("interactive", 8.0, "batch", 1.0);

    static final String USAGE = """
            usage: bin/sluice bench fairness [--tenants 2|5] [--clients N] [--duration S] [--warmup S] [--max-tokens M]
                                             [--tokens-per-s R] [--pools P] [--slots S] [--think-ms T]
              --tenants 2: tenant a interactive, tenant b batch, tenant weights 1 (the issue-11 case: 8 : 1)
              --tenants 5: interactive weights 1 and 0.5, batch weights 3, 2 and 1 (shares 8 : 4 : 3 : 2 : 1)
              --clients: closed-loop clients per tenant (default 30); defaults: 45 s measured after 10 s warm-up,
              max_tokens 16, 40 tokens/s, 2 pools of 4 slots (bin/sluice start-dev's shape)
              --think-ms: a client's pause between the end of a task and its next submit (default 0)""";

    private FairnessBench() {}

    /** The flows of a run: tenant suffix, tenant weight, priority. */
    static List<Flow> flows(int tenants) {
        return switch (tenants) {
            case 2 -> List.of(flow("a", 1, "interactive"), flow("b", 1, "batch"));
            case 5 -> List.of(flow("a", 1, "interactive"), flow("b", 0.5, "interactive"), flow("c", 3, "batch"), flow("d", 2, "batch"),
                    flow("e", 1, "batch"));
            default -> throw new IllegalArgumentException("--tenants must be 2 or 5, not " + tenants);
        };
    }

    private static Flow flow(String tenant, double weight, String priority) {
        return new Flow(tenant, weight, priority, PRIORITY_WEIGHTS.get(priority));
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
                System.err.println("sluice bench fairness: bad argument " + argv[i] + "\n" + USAGE);
                System.exit(64);
            }
            o.put(argv[i], argv[++i]);
        }
        for (String k : o.keySet()) {
            if (!List.of("--tenants", "--clients", "--duration", "--warmup", "--max-tokens", "--tokens-per-s", "--pools", "--slots", "--think-ms", "--root",
                    "--results").contains(k)) {
                System.err.println("sluice bench fairness: unknown option " + k + "\n" + USAGE);
                System.exit(64);
            }
        }
        Path root = Path.of(o.getOrDefault("--root", ".")).toAbsolutePath().normalize();
        int tenants = Integer.parseInt(o.getOrDefault("--tenants", "2"));
        int clients = Integer.parseInt(o.getOrDefault("--clients", "30"));
        int duration = Integer.parseInt(o.getOrDefault("--duration", "45"));
        int warmup = Integer.parseInt(o.getOrDefault("--warmup", "10"));
        int maxTokens = Integer.parseInt(o.getOrDefault("--max-tokens", "16"));
        int tokensPerS = Integer.parseInt(o.getOrDefault("--tokens-per-s", "40"));
        int pools = Integer.parseInt(o.getOrDefault("--pools", "2"));
        int slots = Integer.parseInt(o.getOrDefault("--slots", "4"));
        long thinkMs = Long.parseLong(o.getOrDefault("--think-ms", "0"));
        Path results = o.containsKey("--results") ? Path.of(o.get("--results")) : root.resolve("docs/benchmarks/results/fairness");
        List<Flow> flows = flows(tenants);
        StringBuilder command = new StringBuilder("bin/sluice bench fairness");
        o.forEach((k, v) -> {
            if (!k.equals("--root")) {
                command.append(' ').append(k).append(' ').append(v);
            }
        });

        Instant startedAt = Instant.now();
        Map<String, Object> machine = MachineInfo.describe(root);
        Vertx vertx = null;
        try (LocalStack stack = LocalStack.start(root, pools, slots, tokensPerS)) {
            String run = UUID.randomUUID().toString().substring(0, 6);
            List<FairnessLoad.FlowClients> clientsOf = new ArrayList<>();
            List<Flow> named = new ArrayList<>();
            for (Flow f : flows) {
                String tenant = "fair-" + run + "-" + f.tenant();
                register(stack, tenant, f.tenantWeight());
                named.add(new Flow(tenant, f.tenantWeight(), f.priority(), f.priorityWeight()));
                clientsOf.add(new FairnessLoad.FlowClients(stack.tenantToken(tenant), f.priority(), clients));
            }
            // Tenant weights reach the schedulers within 1 s (SCH-3's refresh); the warm-up covers more than that.
            vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2).setInternalBlockingPoolSize(2));
            HttpClient http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                    new PoolOptions().setHttp1MaxSize(2 * clients * flows.size() + 16).setMaxWaitQueueSize(-1));
            Context context = vertx.getOrCreateContext();
            long t0 = System.nanoTime();
            long windowStart = t0 + TimeUnit.SECONDS.toNanos(warmup);
            long windowEnd = windowStart + TimeUnit.SECONDS.toNanos(duration);
            LocalStack.log("fairness: %d flows × %d clients, warm-up %d s, window %d s", flows.size(), clients, warmup, duration);
            FairnessLoad.Outcome outcome = FairnessLoad.run(context, http, stack.appUrl(), maxTokens, clientsOf, windowEnd, thinkMs)
                    .get(warmup + duration + 60, TimeUnit.SECONDS);

            Map<String, Object> result = new LinkedHashMap<>();
            result.put("scenario", "fairness");
            result.put("command", command.toString());
            result.put("started_at", startedAt.toString());
            result.put("target", "local");
            result.put("machine", machine);
            Map<String, Object> cfg = new LinkedHashMap<>();
            cfg.put("tenants", tenants);
            cfg.put("clients_per_tenant", clients);
            cfg.put("duration_s", duration);
            cfg.put("warmup_s", warmup);
            cfg.put("max_tokens", maxTokens);
            cfg.put("tokens_per_s", tokensPerS);
            cfg.put("pools", pools);
            cfg.put("slots_per_pool", slots);
        cfg.put("think_ms", thinkMs);
            cfg.put("priority_weights", PRIORITY_WEIGHTS);
            result.put("config", cfg);
            result.putAll(FairnessAnalysis.analyse(named, outcome.traces(), windowStart, windowEnd));
            result.put("errors", outcome.errors());
            result.put("finished_at", Instant.now().toString());
            machine.put("load_average_at_end", MachineInfo.loadAverage());
            Path file = write(results, startedAt, tenants + (thinkMs > 0 ? "-think" + thinkMs : ""), result);
            print(result);
            System.out.println("result written to " + (file.startsWith(root) ? root.relativize(file) : file));
        } finally {
            if (vertx != null) {
                vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }
        System.exit(0);
    }

    /** Registers a tenant with its weight through the admin API (SCH-1's tenant weight, SCH-3's tenant record). */
    private static void register(LocalStack stack, String tenant, double weight) throws Exception {
        var r = java.net.http.HttpClient.newHttpClient().send(HttpRequest.newBuilder(stack.appUrl().resolve("/v1/tenants/" + tenant))
                        .header("Authorization", "Bearer " + stack.adminToken())
                        .header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"weight\":" + weight + "}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException("PUT /v1/tenants/" + tenant + " answered " + r.statusCode() + ": " + r.body());
        }
    }

    private static Path write(Path dir, Instant startedAt, String label, Map<String, Object> result) throws Exception {
        Files.createDirectories(dir);
        String prefix = startedAt.atZone(ZoneOffset.UTC).toLocalDate() + "-fairness-t" + label + "-";
        int n = 1;
        while (Files.exists(dir.resolve(prefix + n + ".json"))) {
            n++;
        }
        Path file = dir.resolve(prefix + n + ".json");
        JSON.writeValue(file.toFile(), result);
        return file;
    }

    @SuppressWarnings("unchecked")
    private static void print(Map<String, Object> result) {
        System.out.println();
        System.out.println("flow                          weight  configured  measured   gap   (backlogged dispatches / all in window)");
        for (Map<String, Object> f : (List<Map<String, Object>>) result.get("flows")) {
            System.out.printf(java.util.Locale.ROOT, "%-28s %7.2f %10.2f%% %8.2f%% %6.2f   (%d / %d)%n", f.get("tenant") + "/" + f.get("priority"),
                    (Double) f.get("weight"), (Double) f.get("configured_share_pct"), (Double) f.get("measured_share_pct"),
                    (Double) f.get("gap_points"), (Long) f.get("dispatches_backlogged"), (Long) f.get("dispatches_in_window"));
        }
        System.out.println("largest gap: " + result.get("max_gap_points") + " points; every queue backlogged "
                + result.get("backlogged_fraction_of_window") + " of the window");
        System.out.println("per pool: " + result.get("per_pool"));
        System.out.println("prediction error: " + result.get("prediction"));
        System.out.println("errors: " + result.get("errors"));
    }
}
