package io.sluice.app.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.devstack.EmbeddedDatabase;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Separate processes for the integration tests that need more than one app instance: the engine simulator with two
 * llama.cpp instances and a pool YAML naming them, and packaged app JVMs on one embedded PostgreSQL.
 */
public final class Processes {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private Processes() {}

    /** The running simulator, its two instances' URLs, and {@code sluice.yaml} with pool {@code pool-a} over them. */
    public record Simulator(Process process, List<String> urls, Path config) {}

    /** A running app instance. */
    public record App(String name, Process process, String url) {}

    public static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /**
     * Starts the simulator with two llama.cpp instances of {@code slots} slots at {@code tokensPerS}, and writes the
     * pool YAML.
     */
    public static Simulator startSimulator(Path work, int slots, int tokensPerS) throws Exception {
        String jar = System.getProperty("test.engine-sim.jar");
        Path ports = work.resolve("sim-ports.json");
        String spec = "engine=llamacpp,port=0,model=dev-tiny,slots=" + slots + ",tokens_per_s=" + tokensPerS;
        Process sim = new ProcessBuilder(List.of(java(), "-Xmx128m", "-jar", jar, "--exit-on-stdin-eof", "--instance", spec,
                        "--instance", spec, "--ports-file", ports.toString()))
                .redirectErrorStream(true).redirectOutput(work.resolve("engine-sim.log").toFile()).start();
        Await.until(Duration.ofSeconds(60), () -> Files.exists(ports) || !sim.isAlive(), "the engine simulator starts");
        assertThat(sim.isAlive()).as("the engine simulator runs; its log: " + work.resolve("engine-sim.log")).isTrue();
        JsonNode list = JSON.readTree(ports.toFile());
        List<String> urls = List.of(list.get(0).path("url").asText(), list.get(1).path("url").asText());
        Path config = work.resolve("sluice.yaml");
        Files.writeString(config, """
                pools:
                  - id: pool-a
                    model: dev-tiny
                    engine: llamacpp
                    replicas:
                      - {id: r0, url: "%s"}
                      - {id: r1, url: "%s"}
                """.formatted(urls.get(0), urls.get(1)));
        return new Simulator(sim, urls, config);
    }

    /**
     * Starts the packaged app (dev profile) on a free port against the database and issuer, and waits until it is
     * ready.
     */
    public static App startApp(Path work, String name, Path config, int dbPort, String issuerUrl, Map<String, String> extraEnv)
            throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx256m"));
        cmd.addAll(io.sluice.devstack.DevStack.APP_JVM_OPTIONS);
        cmd.addAll(List.of("-jar", System.getProperty("test.app.jar")));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.put("QUARKUS_PROFILE", "dev");
        env.put("QUARKUS_HTTP_PORT", Integer.toString(port));
        env.put("SLUICE_CONFIG_FILE", config.toString());
        env.put("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://127.0.0.1:" + dbPort + "/" + EmbeddedDatabase.DATABASE);
        env.put("QUARKUS_DATASOURCE_REACTIVE_URL", "postgresql://127.0.0.1:" + dbPort + "/" + EmbeddedDatabase.DATABASE);
        env.put("QUARKUS_DATASOURCE_USERNAME", EmbeddedDatabase.USER);
        env.put("QUARKUS_DATASOURCE_PASSWORD", EmbeddedDatabase.PASSWORD);
        env.put("QUARKUS_OIDC_AUTH_SERVER_URL", issuerUrl);
        env.putAll(extraEnv);
        Path log = work.resolve("app-" + name + ".log");
        Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        String url = "http://127.0.0.1:" + port;
        try {
            Await.until(Duration.ofSeconds(90), () -> {
                assertThat(p.isAlive()).as("instance " + name + " runs; its log: " + log).isTrue();
                try {
                    return HTTP.send(HttpRequest.newBuilder(URI.create(url + "/q/health/ready")).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
                } catch (IOException e) {
                    return false; // not listening yet
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }, "instance " + name + " becomes ready; its log: " + log);
        } catch (RuntimeException | AssertionError e) {
            p.destroyForcibly();
            throw e;
        }
        return new App(name, p, url);
    }

    /** Stops what an integration test started, newest first; each argument may be null. */
    public static void stopAll(List<Process> apps, Process simulator, io.sluice.devstack.DevIssuer issuer, EmbeddedDatabase db)
            throws IOException {
        for (Process p : apps) {
            p.destroyForcibly();
        }
        if (simulator != null) {
            simulator.destroyForcibly();
        }
        if (issuer != null) {
            issuer.close();
        }
        if (db != null) {
            db.close();
        }
    }
}
