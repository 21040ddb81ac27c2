package io.sluice.app.tenancy;

import io.sluice.app.testing.Processes;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Contract;
import io.sluice.devstack.DevIssuer;
import io.sluice.devstack.EmbeddedDatabase;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * SCH-3 across instances: two packaged app processes on one embedded PostgreSQL, each receiving half of one tenant's
 * burst, with the engine simulator as the witness of what actually ran.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QuotaClusterIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TENANT = "quota-cluster-tenant";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private Path work;
    private EmbeddedDatabase db;
    private DevIssuer issuer;
    private Process sim;
    private final List<String> simUrls = new ArrayList<>();
    private Path config;
    private final List<Process> apps = new ArrayList<>();
    private String a;
    private String b;

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("sluice-quota-cluster-");
        db = EmbeddedDatabase.start(work.resolve("pgdata"), 0);
        issuer = DevIssuer.start(0);
        startSimulator();
        a = startApp("a");
        b = startApp("b");
        // Each instance splits the quotas once it knows the other one.
        for (String i : List.of(a, b)) {
            Await.until(Duration.ofSeconds(30), () -> metric(i, "quota_instances") == 2, i + " splits quotas between 2 instances");
        }
        admin(a).contentType(ContentType.JSON).body(Map.of("display_name", "quota cluster")).put("/v1/tenants/" + TENANT).then()
                .statusCode(201);
    }

    @AfterAll
    void stop() throws IOException {
        Processes.stopAll(apps, sim, issuer, db);
    }

    @Test
    @Order(1)
    @DisplayName("SCH-3 a quota changed in PostgreSQL is enforced by both instances within 1 s, without restart")
    void quotaChangeReachesBothInstances() {
        submit(a, task(1)).then().statusCode(202);
        submit(b, task(1)).then().statusCode(202);
        // Timed from the commit (the statement returns once committed) to both instances refusing.
        long t0 = System.nanoTime();
        execute("insert into tenant_quotas (tenant_id, rps) values ('" + TENANT + "', 0)");
        Await.until(Duration.ofSeconds(1), () -> submit(b, task(1)).statusCode() == 429, "the second instance refuses under rps 0");
        Await.until(Duration.ofSeconds(1), () -> submit(a, task(1)).statusCode() == 429, "the first instance refuses under rps 0");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("quota change enforced by both instances after %d ms%n", ms);
        assertThat(ms).as("ms until both instances enforced the change").isLessThan(1_000);
        // and back through the API of one instance: the other one follows
        putQuotas(b, Map.of());
        Await.until(Duration.ofSeconds(1), () -> submit(a, task(1)).statusCode() == 202, "unlimited again on the first instance");
    }

    @Test
    @Order(2)
    @DisplayName("SCH-3 max_concurrent holds across two instances: the simulator never runs more of the tenant's tasks at once")
    void maxConcurrentHoldsGlobally() throws Exception {
        // Written through both, so that both serve it when the burst starts (each answer waits for its own instance).
        putQuotas(a, Map.of("max_concurrent", 3));
        putQuotas(b, Map.of("max_concurrent", 3));
        List<Response> answers = burst(12, 20);
        assertThat(answers).allSatisfy(r -> assertThat(r.statusCode()).isEqualTo(202));
        int[] peak = {0};
        Await.until(Duration.ofSeconds(120), () -> {
            int active = 0;
            for (String url : simUrls) {
                active += simStats(url).path("active").asInt();
            }
            peak[0] = Math.max(peak[0], active);
            return "12".equals(query("select count(*) from tasks where tenant_id = '" + TENANT + "' and state = 'succeeded'"
                    + " and request_json like '%\"max_tokens\":20,%'"));
        }, "all 12 tasks succeeded");
        System.out.printf("max_concurrent 3 over 2 instances: at most %d generations ran at once%n", peak[0]);
        assertThat(peak[0]).as("generations of the tenant the simulator ran at once").isBetween(2, 3);
    }

    @Test
    @Order(3)
    @DisplayName("SCH-3 ADM-5 rps with burst holds across two instances; refusals are 429 QUOTA_EXCEEDED with Retry-After")
    void rateHoldsGlobally() throws Exception {
        putQuotas(a, Map.of("rps", 2, "burst", 6));
        putQuotas(b, Map.of("rps", 2, "burst", 6));
        long t0 = System.nanoTime();
        List<Response> answers = burst(20, 1);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long admitted = answers.stream().filter(r -> r.statusCode() == 202).count();
        for (Response r : answers) {
            if (r.statusCode() != 202) {
                assertThat(r.statusCode()).isEqualTo(429);
                assertThat(r.jsonPath().getString("code")).isEqualTo("QUOTA_EXCEEDED");
                assertThat(r.header("Retry-After")).isNotNull();
            }
        }
        System.out.printf("rps 2 burst 6 over 2 instances: %d of 20 admitted in %.2f s%n", admitted, seconds);
        // the burst at once, plus what the rate refilled while the burst was being sent
        assertThat(admitted).isBetween(6L, 6L + (long) Math.ceil(2 * seconds));
    }

    @Test
    @Order(4)
    @DisplayName("POL-9 the policy upload limit holds across two instances: the burst of 10 in total, not per instance")
    void uploadLimitHoldsGlobally() throws Exception {
        byte[] module = Files.readAllBytes(Path.of(System.getProperty("test.repo.root"),
                "policy-examples/target/classes/policies/examples/model-allowlist.wasm"));
        int accepted = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < 16; i++) {
            Response r = given().filter(Contract.STRICT).baseUri(i % 2 == 0 ? a : b)
                    .header("Authorization", "Bearer " + issuer.tenantToken(TENANT))
                    .contentType("application/wasm").body(module).post("/v1/policies/model-allowlist/versions");
            if (r.statusCode() == 200 || r.statusCode() == 201) {
                accepted++;
            } else {
                assertThat(r.statusCode()).as("answer %d: %s", i, r.asString()).isEqualTo(429);
                assertThat(r.jsonPath().getString("code")).isEqualTo("QUOTA_EXCEEDED");
                assertThat(r.header("Retry-After")).isNotNull();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("policy uploads over 2 instances: %d of 16 accepted in %.2f s%n", accepted, seconds);
        // the burst (default 10) over both instances together, plus what 10 per minute refilled meanwhile; per-instance
        // buckets would have accepted all 16
        assertThat(accepted).isBetween(10, 10 + (int) Math.ceil(seconds / 6));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** {@code n} submissions at once, alternating between the instances. */
    private List<Response> burst(int n, int maxTokens) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Response>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String via = i % 2 == 0 ? a : b;
            futures.add(pool.submit(() -> {
                go.await();
                return submit(via, task(maxTokens));
            }));
        }
        go.countDown();
        List<Response> out = new ArrayList<>();
        for (Future<Response> f : futures) {
            out.add(f.get(60, TimeUnit.SECONDS));
        }
        pool.shutdown();
        return out;
    }

    private RequestSpecification admin(String url) {
        return given().filter(Contract.STRICT).baseUri(url).header("Authorization", "Bearer " + issuer.adminToken("ops"));
    }

    private void putQuotas(String url, Map<String, Object> quotas) {
        admin(url).contentType(ContentType.JSON).body(quotas).put("/v1/tenants/" + TENANT + "/quotas").then().statusCode(200);
    }

    private Response submit(String url, Map<String, Object> body) {
        return given().filter(Contract.STRICT).baseUri(url).header("Authorization", "Bearer " + issuer.tenantToken(TENANT))
                .contentType(ContentType.JSON).body(body).post("/v1/tasks");
    }

    private static Map<String, Object> task(int maxTokens) {
        Map<String, Object> m = new HashMap<>();
        m.put("task_id", UUID.randomUUID().toString());
        m.put("session_id", UUID.randomUUID().toString());
        m.put("workload", "completion");
        m.put("model_ref", "dev-tiny");
        m.put("prompt", "quota");
        m.put("max_tokens", maxTokens);
        m.put("deadline_ms", 120_000);
        return m;
    }

    private static long metric(String url, String name) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/q/metrics"))
                    .header("Accept", "text/plain; version=0.0.4").build(), HttpResponse.BodyHandlers.ofString());
            for (String line : r.body().split("\n")) {
                if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                    return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static JsonNode simStats(String url) {
        try {
            return JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(url + "/sim/stats")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private void execute(String sql) {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + db.port() + "/" + EmbeddedDatabase.DATABASE,
                        EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
                Statement st = c.createStatement()) {
            st.executeUpdate(sql);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private String query(String sql) {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + db.port() + "/" + EmbeddedDatabase.DATABASE,
                        EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void startSimulator() throws Exception {
        // 20 tokens per second: a 20-token task holds its slot about a second, long enough to see who runs together
        Processes.Simulator simulator = Processes.startSimulator(work, 8, 20);
        sim = simulator.process();
        simUrls.addAll(simulator.urls());
        config = simulator.config();
    }

    private String startApp(String name) throws Exception {
        Processes.App app = Processes.startApp(work, name, config, db.port(), issuer.issuerUrl(), Map.of());
        apps.add(app.process());
        return app.url();
    }

}
