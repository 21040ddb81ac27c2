package io.sluice.app.observability;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.Processes;
import io.sluice.app.testing.Sse;
import io.sluice.devstack.DevIssuer;
import io.sluice.devstack.EmbeddedDatabase;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Logs and health of a packaged Sluice process (OBS-2, SEC-4, OBS-3): JSON logs on, an engine that requires an API
 * key, embedded PostgreSQL that the test stops and starts again, and the real OIDC issuer. Every assertion is on what
 * the process writes to its standard output and answers over HTTP.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperationsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String TENANT = "ops-tenant";
    private static final String ENGINE_KEY = "engine-key-SECRET-7f3a9c";
    private static final String PROMPT = "prompt-SECRET-4b1d0e tell me everything";

    private Path work;
    private Path dataDir;
    private int dbPort;
    private EmbeddedDatabase db;
    private DevIssuer issuer;
    private Process sim;
    private Process app;
    private String url;
    private Path appLog;

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("sluice-ops-");
        dataDir = work.resolve("pgdata");
        db = EmbeddedDatabase.start(dataDir, 0);
        dbPort = db.port();
        issuer = DevIssuer.start(0);
        Path config = startSimulatorWithKey();
        Processes.App a = Processes.startApp(work, "ops", config, dbPort, issuer.issuerUrl(), Map.of(
                "QUARKUS_LOG_CONSOLE_JSON_ENABLED", "true",
                "SLUICE_OBSERVABILITY_OIDC_CHECK_INTERVAL_MS", "250"));
        app = a.process();
        url = a.url();
        appLog = work.resolve("app-ops.log");
    }

    @AfterAll
    void stop() throws IOException {
        Processes.stopAll(app == null ? List.of() : List.of(app), sim, issuer, db);
    }

    /** One llama.cpp simulator instance that refuses requests without the key, and a pool naming the key. */
    private Path startSimulatorWithKey() throws Exception {
        Path ports = work.resolve("sim-ports.json");
        String spec = "engine=llamacpp,port=0,model=dev-tiny,slots=4,tokens_per_s=400,api_key=" + ENGINE_KEY;
        sim = new ProcessBuilder(List.of(Processes.java(), "-Xmx128m", "-jar", System.getProperty("test.engine-sim.jar"),
                        "--exit-on-stdin-eof", "--instance", spec, "--ports-file", ports.toString()))
                .redirectErrorStream(true).redirectOutput(work.resolve("engine-sim.log").toFile()).start();
        Await.until(Duration.ofSeconds(60), () -> Files.exists(ports) || !sim.isAlive(), "the engine simulator starts");
        String engineUrl = JSON.readTree(ports.toFile()).get(0).path("url").asText();
        Path config = work.resolve("sluice.yaml");
        Files.writeString(config, """
                pools:
                  - id: pool-a
                    model: dev-tiny
                    engine: llamacpp
                    replicas:
                      - {id: r0, url: "%s", api_key: "%s"}
                """.formatted(engineUrl, ENGINE_KEY));
        return config;
    }

    // ------------------------------------------------------------------------------------------------ tests

    @Test
    @Order(1)
    @DisplayName("OBS-2 admission, start and end are JSON log lines with the task's fields and the submitting request's correlation id")
    void taskLogLines() throws Exception {
        String token = issuer.tenantToken(TENANT);
        String correlation = "ops-corr-" + UUID.randomUUID();
        Map<String, Object> body = task();
        String id = (String) body.get("task_id");
        given().filter(Contract.STRICT).baseUri(url).header("Authorization", "Bearer " + token).header("X-Correlation-Id", correlation)
                .contentType(ContentType.JSON).body(body).post("/v1/tasks").then().statusCode(202)
                .header("X-Correlation-Id", correlation);
        List<Sse.Event> events = Sse.readAll(url + "/v1/tasks/" + id + "/stream", token);
        assertThat(events.get(events.size() - 1).name()).as("the engine with its key served the task").isEqualTo("end");

        Map<String, JsonNode> lines = new HashMap<>();
        Await.until(Duration.ofSeconds(30), () -> {
            for (JsonNode line : jsonLines()) {
                JsonNode mdc = line.path("mdc");
                if (id.equals(mdc.path("task_id").asText())) {
                    lines.put(line.path("message").asText().split(" ")[0] + " " + line.path("message").asText().split(" ")[1], line);
                }
            }
            return lines.containsKey("task ended");
        }, "the task's end line is written");
        assertThat(lines).containsKeys("task admitted", "task started", "task ended");
        List<String> startFields = List.of("task_id", "session_id", "tenant_id", "engine", "pool_id", "replica_id", "model_id",
                "priority", "queue_position", "predicted_start_ms");
        for (String line : List.of("task admitted", "task started")) {
            JsonNode mdc = lines.get(line).path("mdc");
            assertThat(mdc.path("correlation_id").asText()).as(line).isEqualTo(correlation);
            for (String f : startFields) {
                assertThat(mdc.has(f)).as(line + " has " + f).isTrue();
            }
            assertThat(mdc.path("tenant_id").asText()).isEqualTo(TENANT);
            assertThat(mdc.path("model_id").asText()).isEqualTo("dev-tiny");
            assertThat(mdc.path("pool_id").asText()).isEqualTo("pool-a");
            assertThat(mdc.path("engine").asText()).isEqualTo("llamacpp");
        }
        assertThat(lines.get("task started").path("mdc").path("replica_id").asText()).isEqualTo("pool-a/r0");
        JsonNode end = lines.get("task ended").path("mdc");
        assertThat(end.path("correlation_id").asText()).isEqualTo(correlation);
        for (String f : List.of("queue_time_ms", "decode_time_ms", "tokens_in", "tokens_out", "kv_warmth", "preempted")) {
            assertThat(end.has(f)).as("task ended has " + f).isTrue();
        }
        assertThat(end.path("tokens_out").asText()).isEqualTo("16");
        assertThat(end.path("preempted").asText()).isEqualTo("false");
    }

    @Test
    @Order(2)
    @DisplayName("SEC-4 tokens, Authorization headers, engine keys and prompt text appear in no log line and no error body")
    void secretsStayOut() throws Exception {
        String token = issuer.tenantToken(TENANT);
        String forged = "eyJhbGciOiJSUzI1NiJ9.forged-SECRET-9e2c.sig";
        String headerSecret = "header-SECRET-51aa";
        String querySecret = "query-SECRET-c3d2";
        List<String> bodies = new ArrayList<>();
        // The requests carry secrets where the contract has no place for them (extra headers and query
        // parameters, forged tokens): only the answers are held to the contract.
        // valid token, secret prompt, secrets in headers and query, task succeeds
        Map<String, Object> ok = task();
        ok.put("prompt", PROMPT);
        Response r = given().filter(Contract.RESPONSES_ONLY).baseUri(url).header("Authorization", "Bearer " + token).header("X-Api-Key", headerSecret)
                .queryParam("api_key", querySecret).contentType(ContentType.JSON).body(ok).post("/v1/tasks");
        assertThat(r.statusCode()).isEqualTo(202);
        bodies.add(r.asString());
        Sse.readAll(url + "/v1/tasks/" + ok.get("task_id") + "/stream", token);
        // forged and malformed tokens
        bodies.add(given().filter(Contract.RESPONSES_ONLY).baseUri(url).header("Authorization", "Bearer " + forged).contentType(ContentType.JSON).body(task())
                .post("/v1/tasks").then().statusCode(401).extract().asString());
        bodies.add(given().filter(Contract.RESPONSES_ONLY).baseUri(url).header("Authorization", forged).get("/v1/tasks").then().statusCode(401).extract().asString());
        bodies.add(given().filter(Contract.RESPONSES_ONLY).baseUri(url).header("Authorization", "Bearer " + token + "x").get("/v1/tasks").then().statusCode(401)
                .extract().asString());
        // a refused body carrying the secret prompt, a body that is not JSON, a query with a secret
        Map<String, Object> bad = task();
        bad.put("prompt", PROMPT);
        bad.put("max_tokens", -5);
        bodies.add(given().filter(Contract.RESPONSES_ONLY).baseUri(url).header("Authorization", "Bearer " + token).contentType(ContentType.JSON).body(bad)
                .post("/v1/tasks").then().statusCode(400).extract().asString());
        bodies.add(given().filter(Contract.RESPONSES_ONLY).baseUri(url).header("Authorization", "Bearer " + token).contentType(ContentType.JSON)
                .body("{\"prompt\": \"" + PROMPT + "\", ").post("/v1/tasks").then().statusCode(400).extract().asString());
        bodies.add(given().filter(Contract.RESPONSES_ONLY).baseUri(url).header("Authorization", "Bearer " + token).queryParam("limit", querySecret).get("/v1/tasks")
                .then().statusCode(400).extract().asString());
        // a policy upload that is not a module, with a secret header
        bodies.add(given().filter(Contract.RESPONSES_ONLY).baseUri(url).header("Authorization", "Bearer " + token).header("X-Api-Key", headerSecret)
                .contentType("application/wasm").body(PROMPT.getBytes()).post("/v1/policies/ops-policy/versions").then().statusCode(400)
                .extract().asString());
        // an admin call with a tenant token
        bodies.add(given().filter(Contract.RESPONSES_ONLY).baseUri(url).header("Authorization", "Bearer " + token).get("/v1/tenants").then().statusCode(403)
                .extract().asString());

        Await.until(Duration.ofSeconds(30), () -> readLog().contains("task ended") && readLog().contains(ok.get("task_id").toString())
                && jsonLines().stream().anyMatch(l -> l.path("message").asText().startsWith("task ended")
                        && l.path("mdc").path("task_id").asText().equals(ok.get("task_id"))),
                "the secret-prompt task's end line is written");
        String log = readLog();
        String tokenSignature = token.substring(token.lastIndexOf('.') + 1);
        for (String secret : List.of(token, tokenSignature, forged, "forged-SECRET", headerSecret, querySecret, ENGINE_KEY,
                "prompt-SECRET", "Bearer ")) {
            assertThat(log).as("the log does not contain " + secret).doesNotContain(secret);
            for (String b : bodies) {
                assertThat(b).as("an error body does not contain " + secret).doesNotContain(secret);
            }
        }
        assertThat(log.toLowerCase()).doesNotContain("authorization:");
    }

    @Test
    @Order(3)
    @DisplayName("OBS-3 readiness goes DOWN when PostgreSQL stops and UP again when it is back, without a restart; liveness stays UP")
    void readinessFollowsTheDatabase() throws Exception {
        assertThat(health("/q/health/ready").statusCode()).isEqualTo(200);
        db.close();
        Await.until(Duration.ofSeconds(30), () -> health("/q/health/ready").statusCode() == 503, "readiness is DOWN without the database");
        JsonNode down = JSON.readTree(health("/q/health/ready").body());
        assertThat(checks(down, "DOWN")).as("the failing checks name the database").anyMatch(n -> n.toLowerCase().contains("database")
                || n.toLowerCase().contains("postgresql"));
        assertThat(health("/q/health/live").statusCode()).as("liveness does not follow the database").isEqualTo(200);

        db = EmbeddedDatabase.start(dataDir, dbPort);
        Await.until(Duration.ofSeconds(60), () -> health("/q/health/ready").statusCode() == 200, "readiness is UP again");
        assertThat(app.isAlive()).isTrue();
    }

    @Test
    @Order(4)
    @DisplayName("OBS-3 readiness goes DOWN when the OIDC provider stops answering and UP again when it is back")
    void readinessFollowsTheOidcProvider() throws Exception {
        assertThat(health("/q/health/ready").statusCode()).isEqualTo(200);
        int issuerPort = URI.create(issuer.issuerUrl()).getPort();
        issuer.close();
        Await.until(Duration.ofSeconds(30), () -> health("/q/health/ready").statusCode() == 503, "readiness is DOWN without the issuer");
        JsonNode down = JSON.readTree(health("/q/health/ready").body());
        assertThat(checks(down, "DOWN")).containsExactly("oidc");
        assertThat(health("/q/health/live").statusCode()).isEqualTo(200);

        // the closed issuer's port stays taken while its closed connections linger in TIME_WAIT (up to a minute)
        Await.until(Duration.ofSeconds(90), () -> {
            try {
                issuer = DevIssuer.start(issuerPort);
                return true;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }, "the issuer starts again on its port");
        Await.until(Duration.ofSeconds(30), () -> health("/q/health/ready").statusCode() == 200, "readiness is UP again");
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static Map<String, Object> task() {
        Map<String, Object> b = new HashMap<>();
        b.put("task_id", UUID.randomUUID().toString());
        b.put("session_id", UUID.randomUUID().toString());
        b.put("workload", "completion");
        b.put("model_ref", "dev-tiny");
        b.put("priority", "interactive");
        b.put("determinism", "strict");
        b.put("prompt", "Hello, Sluice");
        b.put("max_tokens", 16);
        b.put("kv_hint", "cold");
        return b;
    }

    private HttpResponse<String> health(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static List<String> checks(JsonNode health, String status) {
        List<String> names = new ArrayList<>();
        health.path("checks").forEach(c -> {
            if (status.equals(c.path("status").asText())) {
                names.add(c.path("name").asText());
            }
        });
        return names;
    }

    private String readLog() {
        try {
            return Files.readString(appLog);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every JSON line of the app's output; a line that starts like JSON but does not parse fails the test. */
    private List<JsonNode> jsonLines() {
        List<JsonNode> out = new ArrayList<>();
        for (String line : readLog().split("\n")) {
            if (line.startsWith("{")) {
                try {
                    out.add(JSON.readTree(line));
                } catch (IOException e) {
                    if (line.endsWith("}")) {
                        throw new AssertionError("a log line is not valid JSON: " + line, e);
                    } // else: the line is still being written
                }
            }
        }
        return out;
    }
}
