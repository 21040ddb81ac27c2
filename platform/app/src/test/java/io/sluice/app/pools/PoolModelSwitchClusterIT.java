package io.sluice.app.pools;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import io.sluice.app.catalog.CatalogKeys;
import io.sluice.app.catalog.TestSigner;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.Processes;
import io.sluice.devstack.DevIssuer;
import io.sluice.devstack.EmbeddedDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * POOL-3 across instances and restarts (ADR 0034): two packaged app processes on one embedded PostgreSQL schedule pool
 * {@code pool-w}, configured as {@code swap-old} on a TGI engine (TGI's requests name no model) whose weights are
 * those of {@code swap-new}. A reload through one instance switches the pool on both, and on an instance started
 * afterwards; a reload that fails changes nothing stored.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolModelSwitchClusterIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String POOL = "pool-w";
    private static final String TENANT = "pool-switch-cluster";
    private static final String SWAP_NEW_DIGEST = "5a9e".repeat(16);
    /** A generous bound for a loaded, shared machine; the measured time is printed. */
    private static final Duration SWITCH_BOUND = Duration.ofSeconds(30);

    private Path work;
    private EmbeddedDatabase db;
    private DevIssuer issuer;
    private Process sim;
    private Path config;
    private final Map<String, String> env = new HashMap<>();
    private final List<Process> apps = new ArrayList<>();
    private Processes.App first;
    private Processes.App second;
    private String newTag;
    private String newId;

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("sluice-pool-switch-cluster-");
        db = EmbeddedDatabase.start(work.resolve("pgdata"), 0);
        issuer = DevIssuer.start(0);
        startSimulator();
        // Trust roots generated for this run; TestSigner signs with their private halves.
        env.put("SLUICE_CATALOG_TRUST_ROOTS", new CatalogKeys().start().get("sluice.catalog.trust-roots"));
        env.put("SLUICE_CATALOG_TRUST_POLICY", "strict"); // the dev profile's is permissive
        first = startApp("1");
        second = startApp("2");
        for (String url : List.of(first.url(), second.url())) {
            Await.until(Duration.ofSeconds(30), () -> "ready".equals(pool(url).getString("state")), POOL + " is ready on " + url);
            assertThat(pool(url).getString("model_ref")).isEqualTo("swap-old");
        }
        admin(first.url()).contentType(ContentType.JSON).body(Map.of("display_name", "pool switch cluster")).put("/v1/tenants/" + TENANT)
                .then().statusCode(201);
    }

    @AfterAll
    void stop() throws IOException {
        Processes.stopAll(apps, sim, issuer, db);
    }

    @Test
    @Order(1)
    @DisplayName("POOL-3 a model switch through one instance is stored and served by the other instance within a bounded time")
    void switchReachesTheOtherInstance() {
        assertThat(taskState(second.url(), "swap-old")).isEqualTo("succeeded");
        newTag = "v" + Long.toHexString(System.nanoTime());
        newId = activeEntry(first.url(), "swap-new", newTag, "sha256:" + SWAP_NEW_DIGEST);

        long t0 = System.nanoTime();
        reload(first.url(), "swap-new:" + newTag);
        Await.until(SWITCH_BOUND, () -> "succeeded".equals(pool(first.url()).getString("reload.state")), "the reload succeeded on instance 1");
        long firstMs = (System.nanoTime() - t0) / 1_000_000;
        Await.until(SWITCH_BOUND, () -> {
            JsonPath p = pool(second.url());
            return "swap-new".equals(p.getString("model_ref")) && "ready".equals(p.getString("state"));
        }, "instance 2 serves swap-new");
        long secondMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("model switch: instance 1 after %d ms, instance 2 after %d ms (from the reload request)%n", firstMs, secondMs);

        JsonPath onSecond = pool(second.url());
        assertThat(onSecond.getString("model_digest")).isEqualTo("sha256:" + SWAP_NEW_DIGEST);
        assertThat(onSecond.getString("reload.state")).isEqualTo("succeeded");
        assertThat(onSecond.getString("reload.new_model_id")).isEqualTo(newId);
        assertThat(taskState(second.url(), "swap-new:" + newTag)).isEqualTo("succeeded");
        submit(second.url(), task("swap-old")).then().statusCode(404).body("field", org.hamcrest.Matchers.equalTo("model_ref"));
        assertThat(query("select model_ref || ' ' || model_name || ' ' || configured_model || ' ' || switched_by from pool_models"
                + " where pool_id = '" + POOL + "'")).isEqualTo("swap-new:" + newTag + " swap-new swap-old ops");
    }

    @Test
    @Order(2)
    @DisplayName("POOL-3 CAT-3 a reload that fails leaves the switched model serving on both instances and nothing stored changed")
    void failedReloadChangesNothingStored() {
        String stored = query("select model_id || ' ' || model_ref || ' ' || switched_at from pool_models where pool_id = '" + POOL + "'");
        String badTag = "bad" + Long.toHexString(System.nanoTime());
        activeEntry(first.url(), "swap-bad", badTag, "sha256:" + "0bad".repeat(16));
        reload(first.url(), "swap-bad:" + badTag);
        Await.until(SWITCH_BOUND, () -> pool(first.url()).getString("reload.ended_at") != null, "the bad reload ended");
        JsonPath refused = pool(first.url());
        assertThat(refused.getString("reload.state")).isEqualTo("rolled_back");
        assertThat(refused.getString("reload.error.code")).isEqualTo("UNTRUSTED_ARTIFACT");
        assertThat(query("select model_id || ' ' || model_ref || ' ' || switched_at from pool_models where pool_id = '" + POOL + "'"))
                .isEqualTo(stored);
        for (String url : List.of(first.url(), second.url())) {
            assertThat(pool(url).getString("model_ref")).isEqualTo("swap-new");
            assertThat(taskState(url, "swap-new:" + newTag)).as("the switched model serves on " + url).isEqualTo("succeeded");
        }
    }

    @Test
    @Order(3)
    @DisplayName("POOL-3 a restarted instance serves the stored model from its start: the switch outlives the instance that made it")
    void restartedInstanceKeepsTheSwitch() throws Exception {
        second.process().destroy();
        assertThat(second.process().waitFor(60, TimeUnit.SECONDS)).as("instance 2 stopped").isTrue();
        apps.remove(second.process());
        first.process().destroy();
        assertThat(first.process().waitFor(60, TimeUnit.SECONDS)).as("instance 1 stopped").isTrue();
        apps.remove(first.process());

        Processes.App restarted = startApp("3");
        // From its first answer on, the pool is the stored model's: the configured one is never loaded.
        assertThat(pool(restarted.url()).getString("model_ref")).isEqualTo("swap-new");
        Await.until(SWITCH_BOUND, () -> "ready".equals(pool(restarted.url()).getString("state")), POOL + " is ready after the restart");
        assertThat(pool(restarted.url()).getString("model_digest")).isEqualTo("sha256:" + SWAP_NEW_DIGEST);
        assertThat(taskState(restarted.url(), "swap-new:" + newTag)).isEqualTo("succeeded");
        submit(restarted.url(), task("swap-old")).then().statusCode(404);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private RequestSpecification admin(String url) {
        return given().filter(Contract.STRICT).baseUri(url).header("Authorization", "Bearer " + issuer.adminToken("ops"));
    }

    private JsonPath pool(String url) {
        return admin(url).get("/v1/pools/" + POOL).then().statusCode(200).extract().jsonPath();
    }

    private void reload(String url, String ref) {
        admin(url).contentType(ContentType.JSON).body(Map.of("new_model_ref", ref)).post("/v1/pools/" + POOL + "/reload").then().statusCode(202);
    }

    private String activeEntry(String url, String name, String tag, String digest) {
        String id = admin(url).contentType(ContentType.JSON).body(TestSigner.signedModel(name, tag, digest)).post("/v1/catalog/models")
                .then().statusCode(201).extract().path("id");
        admin(url).contentType(ContentType.JSON).body(Map.of("state", "Active", "reason", "test"))
                .post("/v1/catalog/models/" + id + "/state").then().statusCode(200);
        return id;
    }

    private io.restassured.response.Response submit(String url, Map<String, Object> body) {
        return given().filter(Contract.STRICT).baseUri(url).header("Authorization", "Bearer " + issuer.tenantToken(TENANT))
                .contentType(ContentType.JSON).body(body).post("/v1/tasks");
    }

    /** Submits a task for {@code model} through {@code url} and returns its final state. */
    private String taskState(String url, String model) {
        Map<String, Object> body = task(model);
        submit(url, body).then().statusCode(202);
        String[] state = new String[1];
        Await.until(Duration.ofSeconds(30), () -> {
            state[0] = given().filter(Contract.STRICT).baseUri(url).header("Authorization", "Bearer " + issuer.tenantToken(TENANT))
                    .get("/v1/tasks/" + body.get("task_id")).then().statusCode(200).extract().path("state");
            return List.of("succeeded", "failed", "canceled", "expired").contains(state[0]);
        }, "task for " + model + " ended");
        return state[0];
    }

    private static Map<String, Object> task(String model) {
        Map<String, Object> m = new HashMap<>();
        m.put("task_id", UUID.randomUUID().toString());
        m.put("session_id", UUID.randomUUID().toString());
        m.put("workload", "completion");
        m.put("model_ref", model);
        m.put("prompt", "switch");
        m.put("max_tokens", 4);
        m.put("deadline_ms", 60_000);
        return m;
    }

    private String query(String sql) {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void startSimulator() throws Exception {
        Path ports = work.resolve("sim-ports.json");
        sim = new ProcessBuilder(List.of(Processes.java(), "-Xmx128m", "-jar", System.getProperty("test.engine-sim.jar"),
                        "--exit-on-stdin-eof", "--instance",
                        "engine=tgi,port=0,model=swap-new,slots=2,tokens_per_s=400,digest=" + SWAP_NEW_DIGEST,
                        "--ports-file", ports.toString()))
                .redirectErrorStream(true).redirectOutput(work.resolve("engine-sim.log").toFile()).start();
        Await.until(Duration.ofSeconds(60), () -> Files.exists(ports) || !sim.isAlive(), "the engine simulator starts");
        assertThat(sim.isAlive()).as("the engine simulator runs; its log: " + work.resolve("engine-sim.log")).isTrue();
        JsonNode list = JSON.readTree(ports.toFile());
        config = work.resolve("sluice.yaml");
        Files.writeString(config, """
                pools:
                  - id: pool-w
                    model: swap-old
                    engine: tgi
                    replicas:
                      - {id: r0, url: "%s"}
                """.formatted(list.get(0).path("url").asText()));
    }

    private Processes.App startApp(String name) throws Exception {
        Processes.App app = Processes.startApp(work, name, config, db.port(), issuer.issuerUrl(), env);
        apps.add(app.process());
        return app;
    }
}
