package io.sluice.devstack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Supervisor of the embedded default ({@code bin/sluice start-dev}): embedded PostgreSQL with a persistent
 * data directory, the dev OIDC issuer with a loopback token endpoint, the engine simulator (its own process: two
 * llama.cpp pools serving {@code dev-tiny} and a vLLM pool serving {@code dev-small}, so that a newcomer sees two
 * engine protocols, and a model the README's example policy denies) and the platform (its own process, dev profile).
 * Ctrl-C stops all of it.
 *
 * <p>Never for production: the issuer hands a token to anyone who can reach loopback.
 */
public final class DevStack {
    /**
     * JVM options every launcher of the platform passes (dev stack, load driver, multi-instance tests; operators set
     * them too, see docs/configuration.md). With fewer than three CPUs the JDK's common pool has one thread, and the
     * JDK HTTP client used by the engine adapters then starts a new thread for every engine request it completes.
     */
    public static final List<String> APP_JVM_OPTIONS = List.of("-Djava.util.concurrent.ForkJoinPool.common.parallelism=4");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "dev-tiny";
    /** Served over the vLLM protocol; the README's policy walk-through (model-allowlist) denies it. */
    private static final String SECOND_MODEL = "dev-small";

    private final Path home;
    private final Path simJar;
    private final Path appJar;
    private final List<Process> children = new ArrayList<>();
    private EmbeddedDatabase db;
    private DevIssuer issuer;
    private HttpServer tokenServer;

    private DevStack(Path home, Path simJar, Path appJar) {
        this.home = home;
        this.simJar = simJar;
        this.appJar = appJar;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i], args[i + 1]);
        }
        Path home = Path.of(require(opts, "--home"));
        DevStack stack = new DevStack(home, Path.of(require(opts, "--sim-jar")), Path.of(require(opts, "--app-jar")));
        Runtime.getRuntime().addShutdownHook(new Thread(stack::stop, "devstack-shutdown"));
        int exit = stack.run();
        System.exit(exit);
    }

    private static String require(Map<String, String> opts, String key) {
        String v = opts.get(key);
        if (v == null) {
            System.err.println("usage: DevStack --home DIR --sim-jar JAR --app-jar JAR (missing " + key + ")");
            System.exit(2);
        }
        return v;
    }

    private int run() throws Exception {
        banner();
        Path run = home.resolve("run");
        Files.createDirectories(run);
        long t0 = System.nanoTime();

        db = EmbeddedDatabase.start(home.resolve("pgdata"), envInt("SLUICE_DEV_DB_PORT", 0));
        log("embedded PostgreSQL on 127.0.0.1:%d, data in %s", db.port(), home.resolve("pgdata"));

        issuer = DevIssuer.start(envInt("SLUICE_DEV_OIDC_PORT", 0));
        startTokenServer();
        log("dev OIDC issuer %s (token endpoint http://127.0.0.1:%d/token)", issuer.issuerUrl(), tokenServer.getAddress().getPort());

        Path portsFile = run.resolve("engine-sim-ports.json");
        Files.deleteIfExists(portsFile);
        List<String> simCmd = new ArrayList<>(List.of(java(), "-Xmx256m", "-jar", simJar.toString()));
        for (String spec : simInstances(envInt("SLUICE_DEV_TOKENS_PER_S", 40))) {
            simCmd.add("--instance");
            simCmd.add(spec);
        }
        simCmd.addAll(List.of("--ports-file", portsFile.toString()));
        Process sim = spawn("engine-sim", simCmd, Map.of());
        JsonNode ports = awaitPorts(sim, portsFile);
        Path config = run.resolve("sluice-dev.yaml");
        writeConfig(config, ports);
        log("engine simulator: 2 llama.cpp instances serving %s, 1 vLLM instance serving %s; pools configured in %s", MODEL,
                SECOND_MODEL, config);

        Map<String, String> env = new LinkedHashMap<>();
        env.put("QUARKUS_PROFILE", "dev");
        env.put("SLUICE_CONFIG_FILE", config.toString());
        env.put("QUARKUS_DATASOURCE_JDBC_URL", db.jdbcUrl());
        env.put("QUARKUS_DATASOURCE_REACTIVE_URL", db.reactiveUrl());
        env.put("QUARKUS_DATASOURCE_USERNAME", EmbeddedDatabase.USER);
        env.put("QUARKUS_DATASOURCE_PASSWORD", EmbeddedDatabase.PASSWORD);
        env.put("QUARKUS_OIDC_AUTH_SERVER_URL", issuer.issuerUrl());
        writeState(run.resolve("devstack.json"));
        log("dev stack ready after %d ms; starting the platform", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        List<String> appCmd = new ArrayList<>(List.of(java()));
        appCmd.addAll(APP_JVM_OPTIONS);
        appCmd.addAll(List.of("-jar", appJar.toString()));
        Process app = spawn("platform", appCmd, env);
        // Whichever child ends first ends the stack: a platform without engines (or the reverse) is no use.
        while (app.isAlive() && sim.isAlive()) {
            app.waitFor(500, TimeUnit.MILLISECONDS);
        }
        int code = app.isAlive() ? 1 : app.exitValue();
        if (!sim.isAlive()) {
            log("engine simulator exited with %d; stopping", sim.exitValue());
        }
        return code;
    }

    private static void banner() {
        String line = "!".repeat(100);
        System.err.println(line);
        System.err.println("!! SLUICE DEV STACK — NOT FOR PRODUCTION. A local OIDC issuer hands tokens (tenant and ADMIN) to anyone");
        System.err.println("!! who can reach this machine's loopback. Embedded PostgreSQL and simulated engines. Use only on a laptop.");
        System.err.println(line);
    }

    private void startTokenServer() throws IOException {
        tokenServer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), envInt("SLUICE_DEV_TOKEN_PORT", 0)), 16);
        tokenServer.createContext("/token", ex -> {
            Map<String, String> q = query(ex.getRequestURI().getRawQuery());
            String tenant = q.getOrDefault("tenant", "");
            int status;
            String body;
            if (!tenant.matches("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")) {
                status = 400;
                body = "tenant must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$\n";
            } else {
                status = 200;
                body = ("true".equals(q.get("admin")) ? issuer.adminToken(tenant) : issuer.tenantToken(tenant)) + "\n";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(bytes);
            }
        });
        tokenServer.start();
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null) {
            return q;
        }
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                q.put(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return q;
    }

    private JsonNode awaitPorts(Process sim, Path portsFile) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!sim.isAlive()) {
                throw new IllegalStateException("engine simulator exited with " + sim.exitValue() + " before it was ready");
            }
            if (Files.exists(portsFile)) {
                return JSON.readTree(portsFile.toFile());
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("engine simulator did not write " + portsFile + " within 60 s");
    }

    /**
     * The simulator instances the dev stack runs (engine-sim's {@code --instance} form): two llama.cpp instances serving
     * {@code dev-tiny} and one vLLM instance serving {@code dev-small}, in the order of the pools they become.
     */
    static List<String> simInstances(int tokensPerS) {
        String simSpec = "engine=llamacpp,port=0,model=" + MODEL + ",slots=4,tokens_per_s=" + tokensPerS;
        String secondSpec = "engine=vllm,port=0,model=" + SECOND_MODEL + ",slots=4,tokens_per_s=" + tokensPerS;
        return List.of(simSpec, simSpec, secondSpec);
    }

    private static void writeConfig(Path file, JsonNode ports) throws IOException {
        atomicWrite(file, configYaml(ports));
    }

    /**
     * The Sluice configuration (CFG-1) the dev stack writes at every start: one pool per simulator instance of the ports
     * file ({@code [{engine, model, url, ...}]}). {@code DevStackConfigTest} holds it to the checked-in JSON Schema.
     */
    static String configYaml(JsonNode ports) {
        StringBuilder y = new StringBuilder("# Generated by the dev stack at every start; edit the dev stack, not this file.\npools:\n");
        char name = 'a';
        for (JsonNode p : ports) {
            y.append("  - id: pool-").append(name++).append('\n')
                    .append("    model: ").append(p.path("model").asText()).append('\n')
                    .append("    engine: ").append(p.path("engine").asText()).append('\n')
                    .append("    device_mask: \"").append(name - 'a' - 1).append("\"\n")
                    .append("    replicas:\n")
                    .append("      - id: r0\n")
                    .append("        url: ").append(p.path("url").asText()).append('\n');
        }
        return y.toString();
    }

    private void writeState(Path file) throws IOException {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("issuer", issuer.issuerUrl());
        s.put("token_url", "http://127.0.0.1:" + tokenServer.getAddress().getPort() + "/token");
        s.put("db_jdbc_url", db.jdbcUrl());
        s.put("pid", ProcessHandle.current().pid());
        atomicWrite(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s));
    }

    private static void atomicWrite(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private Process spawn(String name, List<String> cmd, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().putAll(env);
        Process p = pb.start();
        synchronized (children) {
            children.add(p);
        }
        log("started %s (pid %d)", name, p.pid());
        return p;
    }

    private void stop() {
        List<Process> procs;
        synchronized (children) {
            procs = new ArrayList<>(children);
        }
        ChildProcesses.stopNewestFirst(procs);
        if (tokenServer != null) {
            tokenServer.stop(0);
        }
        if (issuer != null) {
            issuer.close();
        }
        if (db != null) {
            try {
                db.close();
            } catch (IOException e) {
                System.err.println("[devstack] PostgreSQL did not stop cleanly: " + e.getMessage());
            }
        }
        try {
            Files.deleteIfExists(home.resolve("run").resolve("devstack.json"));
        } catch (IOException e) {
            System.err.println("[devstack] could not remove devstack.json: " + e.getMessage());
        }
        System.err.println("[devstack] stopped");
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static int envInt(String name, int dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : Integer.parseInt(v.trim());
    }

    private static void log(String fmt, Object... args) {
        System.err.println("[devstack] " + String.format(fmt, args));
    }
}
