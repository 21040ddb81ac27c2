package io.sluice.app.determinism;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.SluiceStack;
import io.sluice.app.testing.Sse;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The determinism suite (DET-2): every case of the checked-in corpus ({@code determinism/det2-corpus.json}, stable
 * seeds, prompts and parameters) runs through the platform on two replicas of one replica set, and their token
 * streams must be byte-identical. Placement on each replica is forced the way an operator would: a tenant route
 * policy (the real {@code route-preferred-pool} wasm module) with the tenant's {@code preferred-pool} label.
 * dev-tiny is served by pool-a (replicas r0, r1) and pool-b (r0), one replica set.
 */
@QuarkusTest
class DeterminismSuiteTest extends ApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ON_POOL_A = "det2-on-pool-a";
    private static final String ON_POOL_B = "det2-on-pool-b";
    private static final String ON_POOL_M = "det2-on-pool-m";
    private static final int PARALLEL = 8;
    private static ExecutorService clients;

    /** One corpus case: the inputs DET-1 says fix the stream. */
    record Case(String id, long seed, String prompt, int maxTokens) {}

    /** What the client saw of one run: the raw token frames, the tokens counted at the end, where it ran. */
    record Run(List<String> tokenFrames, long tokensOut, String poolId, String replicaId) {}

    @BeforeAll
    static void clients() {
        clients = Executors.newFixedThreadPool(PARALLEL);
    }

    @AfterAll
    static void stopClients() throws InterruptedException {
        clients.shutdownNow();
        assertThat(clients.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    static List<Case> corpus() throws IOException {
        try (InputStream in = DeterminismSuiteTest.class.getResourceAsStream("/determinism/det2-corpus.json")) {
            assertThat(in).as("the DET-2 corpus on the test classpath").isNotNull();
            List<Case> cases = new ArrayList<>();
            for (JsonNode c : JSON.readTree(in).path("cases")) {
                cases.add(new Case(c.path("id").asText(), c.path("seed").asLong(), c.path("prompt").asText(), c.path("max_tokens").asInt()));
            }
            return cases;
        }
    }

    @Test
    @DisplayName("DET-2 DET-1 every case of the 64-case corpus gives byte-identical token streams on two replicas of one replica set")
    void corpusIsByteIdenticalAcrossReplicas() throws Exception {
        List<Case> corpus = corpus();
        assertThat(corpus).hasSizeGreaterThanOrEqualTo(64);
        assertThat(corpus.stream().map(Case::seed).distinct().count()).as("distinct seeds").isGreaterThanOrEqualTo(64);
        routeTo(ON_POOL_A, "pool-a", "dev-tiny");
        routeTo(ON_POOL_B, "pool-b", "dev-tiny");

        List<Run> onA = runAll(ON_POOL_A, "dev-tiny", corpus);
        List<Run> onB = runAll(ON_POOL_B, "dev-tiny", corpus);

        JsonPath sets = asAdmin().get("/v1/replicasets").then().statusCode(200).extract().jsonPath();
        assertThat(sets.getList("items.find { it.pool_ids.contains('pool-a') }.pool_ids", String.class))
                .as("pool-a and pool-b are one replica set").contains("pool-a", "pool-b");
        for (int i = 0; i < corpus.size(); i++) {
            Case c = corpus.get(i);
            Run a = onA.get(i);
            Run b = onB.get(i);
            assertThat(a.poolId()).as("%s forced on pool-a", c.id()).isEqualTo("pool-a");
            assertThat(b.replicaId()).as("%s forced on pool-b", c.id()).isEqualTo("pool-b/r0");
            assertThat(a.tokenFrames()).as("%s: token frames", c.id()).hasSize(c.maxTokens());
            assertThat(b.tokenFrames()).as("%s: token frames, byte for byte and in order, on %s and %s", c.id(), a.replicaId(),
                    b.replicaId()).containsExactlyElementsOf(a.tokenFrames());
            assertThat(b.tokensOut()).isEqualTo(a.tokensOut());
        }
        // The comparison discriminates: distinct inputs gave distinct streams, so equal streams are not a constant.
        assertThat(new HashSet<>(onA.stream().map(Run::tokenFrames).toList())).as("distinct streams").hasSize(corpus.size());
    }

    @Test
    @DisplayName("DET-2 POOL-1 negative: replicas of different engine versions are never one replica set, so no corpus task"
            + " is served by the other version")
    void differentEngineVersionsAreNeverMixed() throws Exception {
        // pool-m: r0 runs the stack's engine build, r1 another (b9999); see SluiceStack.
        Await.until(Duration.ofSeconds(60), () -> List.of("ready", "excluded").equals(
                asAdmin().get("/v1/pools/pool-m/health").then().statusCode(200).extract().path("replicas.state")),
                "pool-m shows r0 ready and r1 excluded");
        JsonPath health = asAdmin().get("/v1/pools/pool-m/health").then().statusCode(200).extract().jsonPath();
        String v0 = health.getString("replicas[0].engine_version");
        String v1 = health.getString("replicas[1].engine_version");
        assertThat(v1).as("the two replicas report different engine versions").isNotEqualTo(v0);

        JsonPath sets = asAdmin().get("/v1/replicasets").then().statusCode(200).extract().jsonPath();
        List<Map<String, Object>> items = sets.getList("items");
        for (Map<String, Object> set : items) {
            @SuppressWarnings("unchecked")
            List<String> pools = (List<String>) set.get("pool_ids");
            if (pools.contains("pool-m")) {
                assertThat(set.get("engine_version")).isEqualTo(v0);
                assertThat(sets.getList("items.find { it.pool_ids.contains('pool-m') }.replicas.excluded.replica_id", String.class))
                        .containsExactly("pool-m/r1");
            }
            assertThat(set.get("engine_version")).as("no replica set of version %s", v1).isNotEqualTo(v1);
        }

        List<Case> corpus = corpus().subList(0, 32);
        routeTo(ON_POOL_M, "pool-m", "mix-tiny");
        long r1Before = SluiceStack.simStats("m1").path("completed").asLong();
        List<Run> first = runAll(ON_POOL_M, "mix-tiny", corpus);
        List<Run> second = runAll(ON_POOL_M, "mix-tiny", corpus);
        for (int i = 0; i < corpus.size(); i++) {
            assertThat(first.get(i).replicaId()).as("%s runs on the replica of the agreed version", corpus.get(i).id())
                    .isEqualTo("pool-m/r0");
            assertThat(second.get(i).replicaId()).isEqualTo("pool-m/r0");
            assertThat(second.get(i).tokenFrames()).containsExactlyElementsOf(first.get(i).tokenFrames());
        }
        assertThat(SluiceStack.simStats("m1").path("completed").asLong()).as("generations on the engine of the other version")
                .isEqualTo(r1Before);
    }

    /**
     * Makes {@code tenant}'s tasks go to {@code pool}: its preferred-pool label and the route-preferred-pool policy,
     * then waits until a task shows the route in force (tenant labels reach placement within a second).
     */
    private static void routeTo(String tenant, String pool, String model) {
        asAdmin().contentType(ContentType.JSON).body(Map.of("labels", Map.of("preferred-pool", pool))).put("/v1/tenants/" + tenant)
                .then().statusCode(org.hamcrest.Matchers.oneOf(200, 201));
        String version = as(tenant).contentType("application/wasm").body(wasm("examples/route-preferred-pool"))
                .post("/v1/policies/route-preferred-pool/versions").then().statusCode(org.hamcrest.Matchers.oneOf(200, 201))
                .extract().path("version");
        as(tenant).contentType(ContentType.JSON).body(Map.of("version", version, "hooks", List.of("route")))
                .put("/v1/policies/route-preferred-pool/binding").then().statusCode(200);
        Await.until(Duration.ofSeconds(10), () -> {
            Map<String, Object> probe = task(model);
            probe.put("max_tokens", 1);
            return pool.equals(run(tenant, probe).poolId());
        }, tenant + "'s tasks are placed on " + pool);
    }

    private static List<Run> runAll(String tenant, String model, List<Case> corpus) throws Exception {
        List<Future<Run>> futures = new ArrayList<>();
        for (Case c : corpus) {
            Map<String, Object> body = task(model);
            body.put("task_id", UUID.randomUUID().toString());
            body.put("seed", c.seed());
            body.put("prompt", c.prompt());
            body.put("max_tokens", c.maxTokens());
            body.put("determinism", "strict");
            futures.add(clients.submit(() -> run(tenant, body)));
        }
        List<Run> runs = new ArrayList<>();
        for (Future<Run> f : futures) {
            runs.add(f.get(120, TimeUnit.SECONDS));
        }
        return runs;
    }

    private static Run run(String tenant, Map<String, Object> body) {
        String id = submit(tenant, body);
        List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(tenant));
        Sse.Event last = events.get(events.size() - 1);
        assertThat(last.name()).as("stream of %s ends", id).isEqualTo("end");
        JsonPath task = as(tenant).get("/v1/tasks/" + id).then().statusCode(200).body("state", equalTo("succeeded")).extract().jsonPath();
        List<String> frames = events.stream().filter(e -> e.name().equals("token")).map(Sse.Event::data).toList();
        return new Run(frames, read(last.data()).path("tokens_out").asLong(), task.getString("pool_id"), task.getString("replica_id"));
    }

    private static byte[] wasm(String resource) {
        try (InputStream in = DeterminismSuiteTest.class.getResourceAsStream("/policies/" + resource + ".wasm")) {
            assertThat(in).as("policy module %s on the test classpath", resource).isNotNull();
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }
}
