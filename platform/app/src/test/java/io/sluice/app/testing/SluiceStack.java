package io.sluice.app.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.sluice.devstack.DevIssuer;
import io.sluice.devstack.EmbeddedDatabase;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real parts every API test runs against, started once per test run: embedded PostgreSQL, a real OIDC
 * issuer (mock-oauth2-server minting signed JWTs) and the engine simulator as its own process speaking the
 * llama.cpp protocol. Pools:
 * <ul>
 *   <li>{@code dev-tiny}: pool-a with replicas r0, r1 and pool-b with r0 — the happy path;
 *   <li>{@code fault-tiny}: pool-f with replicas r0, r1 and a 1.5 s idle watchdog — fault injection (REL-1, SCH-7);
 *   <li>{@code slow-tiny}: pool-s with one slot at 20 tokens/s and 4 queue places per priority — cancel and
 *       backpressure (SSE-3, ADM-4);
 *   <li>{@code down-tiny}: pool-x whose only replica never answers (ADM-8);
 *   <li>{@code sched-tiny}: pool-d with one slot at 50 tokens/s and 2 queue places per priority — deadlines and
 *       preemption (SCH-4, SCH-5);
 *   <li>{@code hard-tiny}: pool-h with one slot at 50 tokens/s on a simulator that declares interruptible decode — hard
 *       preemption and resumption (SCH-5);
 *   <li>{@code fair-tiny}: pool-z with one slot at 100 tokens/s and 1,000 queue places per priority — weighted fair
 *       shares through the API (SCH-1, SCH-2);
 *   <li>{@code mix-tiny}: pool-m whose replica r0 runs the engine build every other instance runs and r1 another
 *       one (engine_version b9999) — replica-set exclusion (POOL-1, DET-2);
 *   <li>{@code samp-tiny}: pool-p1 (llama.cpp, quant q4_k_m, sampler profile sp-1), pool-p2 (q4_k_m, sp-2), pool-p3
 *       (q8_0, sp-1) and pool-t (TGI, q4_k_m, sp-3) — sampling parameters and sampler profiles (POOL-1, DET-1).
 *   <li>{@code load-tiny}: pool-v on a Triton engine reporting {@link #LOAD_TINY_DIGEST} that reports "loading" until
 *       its faults are cleared — the catalog's check of a pool's first load (CAT-3); only {@code PoolFirstLoadTest}
 *       clears it;
 *   <li>{@code tmpl-tiny}: pool-g on a llama.cpp engine reporting a ChatML chat template in {@code /props} — the facade's
 *       use of the model's own template (ADM-9, ADR 0037); only {@code OpenAiChatTemplateTest} puts catalog entries on it;
 *   <li>{@code swap-old}: pool-w on a TGI engine whose weights are already those of {@code swap-new}
 *       ({@link #SWAP_NEW_DIGEST}) — a reload to another model name (POOL-3); only {@code PoolModelSwitchTest} uses it.
 * </ul>
 * Each test class uses its own tenant so classes never see each other's data.
 */
public class SluiceStack implements QuarkusTestResourceLifecycleManager {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static EmbeddedDatabase db;
    private static DevIssuer issuer;
    private static int issuerPort;
    /** The model digest (sha256 hex) the engine of pool-c (model cat-tiny, Triton) reports. */
    public static final String CAT_TINY_DIGEST = "c47".repeat(21) + "0";
    /** The model digest the engine of pool-l (model life-tiny, Triton) reports. */
    public static final String LIFE_TINY_DIGEST = "11fe".repeat(16);
    /** The model digest the engine of pool-v (model load-tiny, Triton) reports. */
    public static final String LOAD_TINY_DIGEST = "10ad".repeat(16);
    /** The model digest the engine of pool-w (configured as swap-old, TGI) reports: that of swap-new. */
    public static final String SWAP_NEW_DIGEST = "5a9e".repeat(16);

    private static Process sim;
    private static Map<String, String> instanceUrls = new HashMap<>();
    private static Path workDir;

    @Override
    public Map<String, String> start() {
        try {
            workDir = Files.createTempDirectory("sluice-test-");
            db = EmbeddedDatabase.start(null, 0);
            issuer = DevIssuer.start(0);
            startSimulator();
            Path config = workDir.resolve("sluice-test.yaml");
            Files.writeString(config, """
                    pools:
                      - id: pool-a
                        model: dev-tiny
                        engine: llamacpp
                        replicas:
                          - {id: r0, url: "%s"}
                          - {id: r1, url: "%s"}
                      - id: pool-b
                        model: dev-tiny
                        engine: llamacpp
                        device_mask: "1"
                        replicas:
                          - {id: r0, url: "%s"}
                      - id: pool-f
                        model: fault-tiny
                        engine: llamacpp
                        device_mask: "2"
                        kv_bytes_per_token: 4096
                        watchdog: {wall_ms: 60000, idle_ms: 1500}
                        replicas:
                          - {id: r0, url: "%s"}
                          - {id: r1, url: "%s"}
                      - id: pool-s
                        model: slow-tiny
                        engine: llamacpp
                        device_mask: "3"
                        queue:
                          capacity: {interactive: 4, batch: 4}
                        replicas:
                          - {id: r0, url: "%s"}
                      - id: pool-x
                        model: down-tiny
                        engine: llamacpp
                        device_mask: "4"
                        replicas:
                          - {id: r0, url: "http://127.0.0.1:9"}
                      - id: pool-d
                        model: sched-tiny
                        engine: llamacpp
                        device_mask: "5"
                        queue:
                          capacity: {interactive: 2, batch: 2}
                        replicas:
                          - {id: r0, url: "%s"}
                      - id: pool-c
                        model: cat-tiny
                        engine: triton
                        device_mask: "6"
                        replicas:
                          - {id: r0, url: "%s"}
                      - id: pool-l
                        model: life-tiny
                        engine: triton
                        device_mask: "7"
                        replicas:
                          - {id: r0, url: "%s"}
                      - id: pool-m
                        model: mix-tiny
                        engine: llamacpp
                        device_mask: "8"
                        replicas:
                          - {id: r0, url: "%s"}
                          - {id: r1, url: "%s"}
                      - id: pool-h
                        model: hard-tiny
                        engine: llamacpp
                        device_mask: "9"
                        replicas:
                          - {id: r0, url: "%s"}
                      - id: pool-p1
                        model: samp-tiny
                        engine: llamacpp
                        device_mask: "10"
                        quant: q4_k_m
                        sampler_profile_version: sp-1
                        replicas:
                          - {id: r0, url: "%s"}
                      - id: pool-p2
                        model: samp-tiny
                        engine: llamacpp
                        device_mask: "11"
                        quant: q4_k_m
                        sampler_profile_version: sp-2
                        replicas:
                          - {id: r0, url: "%s"}
                      - id: pool-p3
                        model: samp-tiny
                        engine: llamacpp
                        device_mask: "12"
                        quant: q8_0
                        sampler_profile_version: sp-1
                        replicas:
                          - {id: r0, url: "%s"}
                      - id: pool-t
                        model: samp-tiny
                        engine: tgi
                        device_mask: "13"
                        quant: q4_k_m
                        sampler_profile_version: sp-3
                        replicas:
                          - {id: r0, url: "%s"}
                      - id: pool-v
                        model: load-tiny
                        engine: triton
                        device_mask: "14"
                        replicas:
                          - {id: r0, url: "%s"}
                      - id: pool-w
                        model: swap-old
                        engine: tgi
                        device_mask: "15"
                        replicas:
                          - {id: r0, url: "%s"}
                      - id: pool-z
                        model: fair-tiny
                        engine: llamacpp
                        device_mask: "16"
                        queue:
                          capacity: {interactive: 1000, batch: 1000}
                        replicas:
                          - {id: r0, url: "%s"}
                      - id: pool-g
                        model: tmpl-tiny
                        engine: llamacpp
                        device_mask: "17"
                        replicas:
                          - {id: r0, url: "%s"}
                      - id: pool-k
                        model: mask-tiny
                        engine: triton
                        device_mask: "18-19"
                        replicas:
                          - {id: r0, url: "%s"}
                          - {id: r1, url: "%s"}
                    """.formatted(instanceUrls.get("a0"), instanceUrls.get("a1"), instanceUrls.get("b0"), instanceUrls.get("f0"),
                    instanceUrls.get("f1"), instanceUrls.get("s0"), instanceUrls.get("d0"), instanceUrls.get("c0"), instanceUrls.get("l0"),
                    instanceUrls.get("m0"), instanceUrls.get("m1"), instanceUrls.get("h0"), instanceUrls.get("p1"),
                    instanceUrls.get("p2"), instanceUrls.get("p3"), instanceUrls.get("t0"), instanceUrls.get("v0"),
                    instanceUrls.get("w0"), instanceUrls.get("z0"), instanceUrls.get("g0"), instanceUrls.get("k0"),
                    instanceUrls.get("k1")));
            Map<String, String> props = new HashMap<>(db.quarkusProperties());
            props.put("quarkus.oidc.auth-server-url", issuer.issuerUrl());
            props.put("sluice.config-file", config.toString());
            return props;
        } catch (Exception e) {
            stop();
            throw new IllegalStateException("could not start the test stack", e);
        }
    }

    private static void startSimulator() throws Exception {
        String jar = System.getProperty("test.engine-sim.jar");
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException("engine simulator jar not found at " + jar + "; build platform/engine-sim first");
        }
        Path ports = workDir.resolve("sim-ports.json");
        List<String> specs = List.of(
                "engine=llamacpp,port=0,model=dev-tiny,slots=4,tokens_per_s=400",
                "engine=llamacpp,port=0,model=dev-tiny,slots=4,tokens_per_s=400",
                "engine=llamacpp,port=0,model=dev-tiny,slots=4,tokens_per_s=400",
                "engine=llamacpp,port=0,model=fault-tiny,slots=2,tokens_per_s=200",
                "engine=llamacpp,port=0,model=fault-tiny,slots=2,tokens_per_s=200",
                "engine=llamacpp,port=0,model=slow-tiny,slots=1,tokens_per_s=20",
                "engine=llamacpp,port=0,model=sched-tiny,slots=1,tokens_per_s=50",
                // Triton engines reporting chosen digests, for the catalog's pool checks (CAT-3, LIFE-2).
                "engine=triton,port=0,model=cat-tiny,slots=2,tokens_per_s=400,digest=" + CAT_TINY_DIGEST,
                "engine=triton,port=0,model=life-tiny,slots=2,tokens_per_s=400,digest=" + LIFE_TINY_DIGEST,
                "engine=llamacpp,port=0,model=mix-tiny,slots=4,tokens_per_s=2000",
                "engine=llamacpp,port=0,model=mix-tiny,slots=4,tokens_per_s=2000,engine_version=b9999",
                "engine=llamacpp,port=0,model=hard-tiny,slots=1,tokens_per_s=50,interruptible_decode=true",
                // samp-tiny: pools that differ only in sampler profile or quant, and a TGI pool (POOL-1, DET-1).
                "engine=llamacpp,port=0,model=samp-tiny,slots=4,tokens_per_s=2000",
                "engine=llamacpp,port=0,model=samp-tiny,slots=4,tokens_per_s=2000",
                "engine=llamacpp,port=0,model=samp-tiny,slots=4,tokens_per_s=2000",
                "engine=tgi,port=0,model=samp-tiny,slots=4,tokens_per_s=2000",
                // Loading (a slow start of a day) until PoolFirstLoadTest clears the fault: its first load comes after
                // the test has put entries in the catalog.
                "engine=triton,port=0,model=load-tiny,slots=2,tokens_per_s=400,digest=" + LOAD_TINY_DIGEST
                        + ",fault=slow_start,fault_delay_ms=86400000",
                // TGI names no model in its requests: the pool configured as swap-old can be reloaded to swap-new.
                "engine=tgi,port=0,model=swap-new,slots=2,tokens_per_s=50,digest=" + SWAP_NEW_DIGEST,
                // fair-tiny: one slot, so that every task but the running one waits (SCH-1, SCH-2).
                "engine=llamacpp,port=0,model=fair-tiny,slots=1,tokens_per_s=100",
                // tmpl-tiny: an engine reporting its model's chat template in /props, as llama.cpp does (ADM-9, ADR 0037).
                "engine=llamacpp,port=0,model=tmpl-tiny,slots=2,tokens_per_s=2000,chat_template=chatml",
                // mask-tiny: two Triton engines listing their GPUs; r1's GPU 20 lies outside pool-k's mask 18-19 (SCH-6).
                "engine=triton,port=0,model=mask-tiny,slots=2,tokens_per_s=2000,gpus=18:19",
                "engine=triton,port=0,model=mask-tiny,slots=2,tokens_per_s=2000,gpus=19:20");
        List<String> cmd = new java.util.ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"), "-Xmx128m", "-jar", jar, "--exit-on-stdin-eof"));
        for (String s : specs) {
            cmd.add("--instance");
            cmd.add(s);
        }
        cmd.add("--ports-file");
        cmd.add(ports.toString());
        sim = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(workDir.resolve("engine-sim.log").toFile()).start();
        try {
            Await.until(java.time.Duration.ofSeconds(120), () -> Files.exists(ports) || !sim.isAlive(),
                    "the engine simulator wrote its ports file");
        } catch (AssertionError e) {
            // reported below with the simulator's log
        }
        if (!Files.exists(ports)) {
            throw new IllegalStateException("engine simulator did not start: " + Files.readString(workDir.resolve("engine-sim.log")));
        }
        JsonNode list = JSON.readTree(ports.toFile());
        String[] names = {"a0", "a1", "b0", "f0", "f1", "s0", "d0", "c0", "l0", "m0", "m1", "h0", "p1", "p2", "p3", "t0", "v0", "w0", "z0", "g0", "k0", "k1"};
        for (int i = 0; i < names.length; i++) {
            instanceUrls.put(names[i], list.get(i).path("url").asText());
        }
    }

    @Override
    public void stop() {
        if (sim != null) {
            sim.destroy();
            try {
                sim.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sim.destroyForcibly();
        }
        if (issuer != null) {
            issuer.close();
        }
        if (db != null) {
            try {
                db.close();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public static DevIssuer issuer() {
        return issuer;
    }

    /** Stops the OIDC issuer (an identity provider outage, REL-4); {@link #restartIssuer()} brings it back. */
    public static synchronized void stopIssuer() {
        issuerPort = URI.create(issuer.issuerUrl()).getPort();
        issuer.close();
    }

    /**
     * Starts the issuer again on the port it had, so the running app's configured issuer URL reaches it again.
     * mock-oauth2-server signs with the same built-in key for the same issuer id, as a provider keeps its keys
     * across a restart.
     */
    public static synchronized void restartIssuer() {
        java.util.concurrent.atomic.AtomicReference<IOException> last = new java.util.concurrent.atomic.AtomicReference<>();
        // The closed listener holds the port for a while (about a minute here, as its closed connections wait out
        // TIME_WAIT); a bounded retry, not a guess at how long.
        Await.until(java.time.Duration.ofSeconds(90), () -> {
            try {
                issuer = DevIssuer.start(issuerPort);
                return true;
            } catch (IOException e) {
                last.set(e);
                return false;
            }
        }, "the issuer restarted on port " + issuerPort + " (last failure: " + last.get() + ")");
    }

    public static EmbeddedDatabase database() {
        return db;
    }

    /**
     * Base URL of a simulator instance: a0, a1 (pool-a), b0 (pool-b), f0, f1 (pool-f), s0 (pool-s), d0 (pool-d), c0
     * (pool-c), l0 (pool-l), m0, m1 (pool-m), h0 (pool-h), v0 (pool-v), w0 (pool-w), g0 (pool-g).
     */
    public static String engine(String name) {
        return instanceUrls.get(name);
    }

    /** Arms a fault on a simulator instance through its /sim/faults control API. */
    public static void armFault(String instance, String faultJson) {
        send(HttpRequest.newBuilder(URI.create(engine(instance) + "/sim/faults"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(faultJson))
                .build());
    }

    public static void clearFaults(String instance) {
        send(HttpRequest.newBuilder(URI.create(engine(instance) + "/sim/faults")).DELETE().build());
    }

    /** The simulator's own counters for an instance ({active, completed, aborted, ...}). */
    public static JsonNode simStats(String instance) {
        try {
            return JSON.readTree(send(HttpRequest.newBuilder(URI.create(engine(instance) + "/sim/stats")).GET().build()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String send(HttpRequest req) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException(req.uri() + " answered " + r.statusCode() + ": " + r.body());
            }
            return r.body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
