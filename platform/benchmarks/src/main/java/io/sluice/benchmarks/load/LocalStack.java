package io.sluice.benchmarks.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.devstack.DevIssuer;
import io.sluice.devstack.EmbeddedDatabase;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Everything a benchmark run needs, started on loopback and stopped at the end: the engine simulator (its
 * own process), a throw-away embedded PostgreSQL and the dev OIDC issuer (in this JVM, the dev stack's own
 * classes), and the packaged app as a separate JVM whose pid is known, so that its CPU, heap and threads
 * can be read without instrumenting it. The app runs the dev profile, as under {@code bin/sluice start-dev}.
 */
public final class LocalStack implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String MODEL = "dev-tiny";
    /** Waiting room per priority: far above any client count, so the queue never refuses in a benchmark. */
    private static final int QUEUE_CAPACITY = 20_000;

    private final Path workDir;
    private final List<Process> children = new ArrayList<>();
    private EmbeddedDatabase database;
    private DevIssuer issuer;
    private Process app;
    private Process relay;
    private URI relayUrl;
    private URI engineUrl;
    private URI appUrl;

    private LocalStack(Path workDir) {
        this.workDir = workDir;
    }

    /**
     * @param slots simulator generations at once; more than the clients, so the engine never queues
     * @param tokensPerSecond simulator pacing per generation, 0 for as fast as possible
     */
    static LocalStack start(Path root, int slots, int tokensPerSecond) throws Exception {
        return start(root, 1, slots, tokensPerSecond);
    }

    /**
     * As {@link #start(Path, int, int)} with {@code pools} pools serving the same model, each with one replica of its
     * own simulator instance and its own device mask: {@code bin/sluice start-dev}'s shape (two pools of four slots)
     * for the scheduling benchmarks, where the pools' separate queues matter.
     */
    public static LocalStack start(Path root, int pools, int slotsPerPool, int tokensPerSecond) throws Exception {
        Path appJar = root.resolve("platform/app/target/quarkus-app/quarkus-run.jar");
        Path simJar = root.resolve("platform/engine-sim/target/sluice-engine-sim.jar");
        for (Path jar : List.of(appJar, simJar)) {
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: build it first (bin/sluice bench does)");
            }
        }
        LocalStack stack = new LocalStack(Files.createTempDirectory("sluice-bench-"));
        try {
            stack.startAll(appJar, simJar, pools, slotsPerPool, tokensPerSecond);
            return stack;
        } catch (Exception e) {
            stack.close();
            throw e;
        }
    }

    private void startAll(Path appJar, Path simJar, int pools, int slots, int tokensPerSecond) throws Exception {
        long t0 = System.nanoTime();
        log("work directory %s (process logs)", workDir);
        database = EmbeddedDatabase.start(null, 0);
        issuer = DevIssuer.start(0);
        Path portsFile = workDir.resolve("engine-sim-ports.json");
        String spec = "engine=llamacpp,port=0,model=" + MODEL + ",slots=" + slots + ",tokens_per_s=" + tokensPerSecond
                + ",max_queue=" + QUEUE_CAPACITY;
        List<String> simCmd = new ArrayList<>(List.of(java(), "-Xmx512m", "-jar", simJar.toString()));
        for (int i = 0; i < pools; i++) {
            simCmd.addAll(List.of("--instance", spec));
        }
        simCmd.addAll(List.of("--ports-file", portsFile.toString(), "--exit-on-stdin-eof"));
        Process sim = spawn("engine-sim", simCmd, Map.of());
        JsonNode ports = awaitPorts(sim, portsFile);
        List<URI> engines = new ArrayList<>();
        for (JsonNode p : ports) {
            engines.add(URI.create(p.path("url").asText()));
        }
        engineUrl = engines.get(0);
        Path config = workDir.resolve("sluice-bench.yaml");
        Files.writeString(config, pools == 1 ? poolConfig(engineUrl) : poolsConfig(engines));

        int port = freePort();
        appUrl = URI.create("http://127.0.0.1:" + port);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("QUARKUS_PROFILE", "dev");
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.put("SLUICE_CONFIG_FILE", config.toString());
        env.put("QUARKUS_DATASOURCE_JDBC_URL", database.jdbcUrl());
        env.put("QUARKUS_DATASOURCE_REACTIVE_URL", database.reactiveUrl());
        env.put("QUARKUS_DATASOURCE_USERNAME", EmbeddedDatabase.USER);
        env.put("QUARKUS_DATASOURCE_PASSWORD", EmbeddedDatabase.PASSWORD);
        env.put("QUARKUS_OIDC_AUTH_SERVER_URL", issuer.issuerUrl());
        List<String> cmd = new ArrayList<>(List.of(java()));
        cmd.addAll(io.sluice.devstack.DevStack.APP_JVM_OPTIONS);
        String extra = System.getenv("SLUICE_BENCH_APP_JAVA_OPTS");
        if (extra != null && !extra.isBlank()) {
            cmd.addAll(List.of(extra.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-jar", appJar.toString()));
        app = spawn("app", cmd, env);
        awaitReady();
        log("stack ready in %d ms: app pid %d at %s, simulator %s (%d slots, %d tokens/s)",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), app.pid(), appUrl, engineUrl, slots, tokensPerSecond);
    }

    /**
     * Starts {@link StreamRelay} in front of the simulator, as its own JVM with the app's JVM options, so that its CPU
     * per task is measured like the app's: the floor a streaming gateway costs on this machine.
     */
    void startRelay() throws Exception {
        int port = freePort();
        List<String> cmd = new ArrayList<>(List.of(java()));
        cmd.addAll(io.sluice.devstack.DevStack.APP_JVM_OPTIONS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), StreamRelay.class.getName(), engineUrl.toString(),
                Integer.toString(port)));
        relay = spawn("relay", cmd, Map.of());
        Path logFile = workDir.resolve("relay.log");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!relay.isAlive()) {
                throw new IllegalStateException("the relay exited with " + relay.exitValue() + "; see " + logFile);
            }
            if (Files.exists(logFile) && Files.readString(logFile).contains("relay listening on " + port)) {
                relayUrl = URI.create("http://127.0.0.1:" + port);
                log("relay ready: pid %d at %s in front of %s", relay.pid(), relayUrl, engineUrl);
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the relay did not listen within 60 s; see " + logFile);
    }

    /** @return the relay's URL, or null when {@link #startRelay()} was not called */
    URI relayUrl() {
        return relayUrl;
    }

    long relayPid() {
        return relay == null ? 0 : relay.pid();
    }

    static String poolConfig(URI engineUrl) {
        return "# Written by the hot-path load driver for one run.\n"
                + "pools:\n"
                + "  - id: bench-pool\n"
                + "    model: " + MODEL + "\n"
                + "    engine: llamacpp\n"
                + "    device_mask: \"0\"\n"
                + "    queue:\n"
                + "      capacity: {interactive: " + QUEUE_CAPACITY + ", batch: " + QUEUE_CAPACITY + "}\n"
                + "      full_policy: reject\n"
                + "    replicas:\n"
                + "      - id: r0\n"
                + "        url: " + engineUrl + "\n";
    }

    /** Pools {@code pool-a}, {@code pool-b}, … serving {@link #MODEL}, one replica each, on separate device masks. */
    static String poolsConfig(List<URI> engines) {
        StringBuilder y = new StringBuilder("# Written by the load driver for one run.\npools:\n");
        for (int i = 0; i < engines.size(); i++) {
            y.append("  - id: pool-").append((char) ('a' + i)).append('\n')
                    .append("    model: ").append(MODEL).append('\n')
                    .append("    engine: llamacpp\n")
                    .append("    device_mask: \"").append(i).append("\"\n")
                    .append("    queue:\n")
                    .append("      capacity: {interactive: ").append(QUEUE_CAPACITY).append(", batch: ").append(QUEUE_CAPACITY).append("}\n")
                    .append("      full_policy: reject\n")
                    .append("    replicas:\n")
                    .append("      - id: r0\n")
                    .append("        url: ").append(engines.get(i)).append('\n');
        }
        return y.toString();
    }

    public URI appUrl() {
        return appUrl;
    }

    URI engineUrl() {
        return engineUrl;
    }

    public long appPid() {
        return app.pid();
    }

    public String tenantToken(String tenant) {
        return issuer.tenantToken(tenant);
    }

    public String adminToken() {
        return issuer.adminToken("bench");
    }

    private void awaitReady() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (System.nanoTime() < deadline) {
            if (!app.isAlive()) {
                throw new IllegalStateException("the app exited with " + app.exitValue() + "; see " + workDir.resolve("app.log"));
            }
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(appUrl.resolve("/q/health/ready")).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the app was not ready within 240 s; see " + workDir.resolve("app.log"));
    }

    private JsonNode awaitPorts(Process sim, Path portsFile) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!sim.isAlive()) {
                throw new IllegalStateException("the engine simulator exited with " + sim.exitValue() + "; see " + workDir.resolve("engine-sim.log"));
            }
            if (Files.exists(portsFile)) {
                return JSON.readTree(portsFile.toFile());
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the engine simulator wrote no ports file within 60 s");
    }

    private Process spawn(String name, List<String> cmd, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve(name + ".log").toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        children.add(p);
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    public static void log(String fmt, Object... args) {
        System.err.println("[bench] " + String.format(fmt, args));
    }

    @Override
    public void close() {
        io.sluice.devstack.ChildProcesses.stopNewestFirst(children);
        if (issuer != null) {
            issuer.close();
        }
        if (database != null) {
            try {
                database.close();
            } catch (IOException e) {
                log("PostgreSQL did not stop cleanly: %s", e.getMessage());
            }
        }
    }
}
