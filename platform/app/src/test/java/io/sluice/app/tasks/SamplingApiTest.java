package io.sluice.app.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Sse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Per-task sampling parameters and sampler profiles through {@code POST /v1/tasks} (ADR 0030): bounds, engine support,
 * idempotency, forwarding to the engine (observable through the simulator's deterministic stream), placement by
 * sampler profile, and replica sets split on quant and sampler profile.
 */
@QuarkusTest
class SamplingApiTest extends ApiTest {
    private static final String TENANT = "sampling-tenant";

    private static Map<String, Object> sampled(String model, long seed, Map<String, Object> sampling) {
        Map<String, Object> b = task(model);
        b.put("seed", seed);
        b.put("prompt", "The sluice gate opens at dawn");
        if (sampling != null) {
            b.put("sampling", sampling);
        }
        return b;
    }

    /** Submits, reads the whole stream and answers its text (token events' {@code t} joined). */
    private static String streamText(Map<String, Object> body) {
        String id = submit(TENANT, body);
        List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
        Sse.assertMatchesContract(events);
        assertThat(events.get(events.size() - 1).name()).as("task %s ends", id).isEqualTo("end");
        StringBuilder text = new StringBuilder();
        for (Sse.Event e : events) {
            if (e.name().equals("token")) {
                text.append(io.restassured.path.json.JsonPath.from(e.data()).getString("t"));
            }
        }
        return text.toString();
    }

    private static String poolOf(String taskId) {
        return as(TENANT).get("/v1/tasks/" + taskId).then().statusCode(200).extract().path("pool_id");
    }

    /** A request the contract may refuse itself: only the answer is validated against the contract. */
    private static io.restassured.specification.RequestSpecification raw() {
        return io.restassured.RestAssured.given().filter(io.sluice.app.testing.Contract.RESPONSES_ONLY)
                .header("Authorization", "Bearer " + tenantToken(TENANT));
    }

    private static void refused(Map<String, Object> body, int status, String code, String field, String stage) {
        raw().contentType(ContentType.JSON).body(body).post("/v1/tasks").then().statusCode(status)
                .body("code", equalTo(code)).body("field", equalTo(field)).body("stage", equalTo(stage));
    }

    @Test
    @DisplayName("DET-1 equal sampling parameters give byte-identical streams; another temperature gives another stream")
    void samplingReachesTheEngine() {
        Map<String, Object> s = Map.of("temperature", 0.7, "top_p", 0.9, "top_k", 20, "repetition_penalty", 1.1);
        String first = streamText(sampled("dev-tiny", 42, s));
        String again = streamText(sampled("dev-tiny", 42, s));
        Map<String, Object> hotter = new HashMap<>(s);
        hotter.put("temperature", 1.3);
        String other = streamText(sampled("dev-tiny", 42, hotter));
        String plain = streamText(sampled("dev-tiny", 42, null));
        assertThat(first).isNotEmpty();
        assertThat(again).as("equal parameters").isEqualTo(first);
        assertThat(other).as("another temperature").isNotEqualTo(first);
        assertThat(plain).as("the engine's defaults").isNotEqualTo(first);
        // An integer is a number: temperature 1 is accepted like 1.0.
        assertThat(streamText(sampled("dev-tiny", 42, Map.of("temperature", 1)))).isEqualTo(streamText(sampled("dev-tiny", 42,
                Map.of("temperature", 1.0))));
    }

    @Test
    @DisplayName("ADM-3 sampling out of bounds, empty or with unknown members answers 400 INVALID_PARAMS naming the member")
    void badSampling() {
        refused(sampled("dev-tiny", 1, Map.of("temperature", 2.5)), 400, "INVALID_PARAMS", "sampling.temperature", "validate");
        refused(sampled("dev-tiny", 1, Map.of("top_p", 0)), 400, "INVALID_PARAMS", "sampling.top_p", "validate");
        refused(sampled("dev-tiny", 1, Map.of("top_k", -1)), 400, "INVALID_PARAMS", "sampling.top_k", "validate");
        refused(sampled("dev-tiny", 1, Map.of("repetition_penalty", 0)), 400, "INVALID_PARAMS", "sampling.repetition_penalty", "validate");
        refused(sampled("dev-tiny", 1, Map.of()), 400, "INVALID_PARAMS", "sampling", "validate");
        Map<String, Object> unknown = sampled("dev-tiny", 1, Map.of("mirostat", 2));
        raw().contentType(ContentType.JSON).body(unknown).post("/v1/tasks").then().statusCode(400)
                .body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("sampling.mirostat"));
        Map<String, Object> fraction = sampled("dev-tiny", 1, Map.of("top_k", 2.5));
        raw().contentType(ContentType.JSON).body(fraction).post("/v1/tasks").then().statusCode(400)
                .body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("sampling.top_k"));
    }

    @Test
    @DisplayName("ADM-3 a task pinned to TGI asking for presence_penalty is refused at admission naming the member, not sent without it")
    void pinnedEngineCannotHonour() {
        Map<String, Object> body = sampled("samp-tiny", 1, Map.of("presence_penalty", 0.5));
        body.put("engine", "tgi");
        refused(body, 400, "INVALID_PARAMS", "sampling.presence_penalty", "validate");
        body.put("sampling", Map.of("min_p", 0.1));
        refused(body, 400, "INVALID_PARAMS", "sampling.min_p", "validate");
        body.put("sampling", Map.of("frequency_penalty", 0.5, "temperature", 0.8));
        body.put("sampler_profile_version", "sp-3");
        String id = submit(TENANT, body);
        assertThat(poolOf(id)).isEqualTo("pool-t");
    }

    @Test
    @DisplayName("POOL-1 a task without an engine is placed only on pools whose engine honours its sampling parameters")
    void unpinnedTaskAvoidsEnginesThatCannotHonour() {
        Map<String, Object> body = sampled("samp-tiny", 1, Map.of("presence_penalty", 0.5));
        body.put("sampler_profile_version", "sp-3");
        // sp-3 is served only by the TGI pool, which has no presence penalty: nothing can honour the task.
        refused(body, 400, "INVALID_PARAMS", "sampling.presence_penalty", "resolve_model");
        for (int i = 0; i < 6; i++) {
            String id = submit(TENANT, sampled("samp-tiny", i, Map.of("presence_penalty", 0.5)));
            assertThat(poolOf(id)).as("task %d", i).isNotEqualTo("pool-t");
        }
    }

    @Test
    @DisplayName("POOL-1 DET-1 a task naming sampler_profile_version runs only on pools declaring it; an undeclared one is 400 naming it")
    void samplerProfilePlacement() {
        for (int i = 0; i < 6; i++) {
            Map<String, Object> body = sampled("samp-tiny", i, null);
            body.put("sampler_profile_version", "sp-2");
            assertThat(poolOf(submit(TENANT, body))).isEqualTo("pool-p2");
            Map<String, Object> sp1 = sampled("samp-tiny", i, null);
            sp1.put("sampler_profile_version", "sp-1");
            assertThat(poolOf(submit(TENANT, sp1))).isIn("pool-p1", "pool-p3");
        }
        Map<String, Object> unknown = sampled("samp-tiny", 1, null);
        unknown.put("sampler_profile_version", "sp-9");
        refused(unknown, 400, "INVALID_PARAMS", "sampler_profile_version", "resolve_model");
        // dev-tiny's pools declare no profile: naming one is refused the same way.
        Map<String, Object> none = sampled("dev-tiny", 1, null);
        none.put("sampler_profile_version", "sp-1");
        refused(none, 400, "INVALID_PARAMS", "sampler_profile_version", "resolve_model");
    }

    @Test
    @DisplayName("POOL-1 replica sets split on quant and sampler_profile_version, and show both")
    void replicaSetsSplitOnQuantAndProfile() {
        Map<String, String> setOfPool = new HashMap<>();
        for (String pool : List.of("pool-p1", "pool-p2", "pool-p3", "pool-t")) {
            String set = asAdmin().get("/v1/pools/" + pool).then().statusCode(200).extract().path("replica_set_id");
            assertThat(set).as("%s has reported", pool).isNotNull();
            setOfPool.put(pool, set);
        }
        asAdmin().get("/v1/pools/pool-p2").then().statusCode(200).body("quant", equalTo("q4_k_m"))
                .body("sampler_profile_version", equalTo("sp-2"));
        // p1 and p2 differ only in sampler profile, p1 and p3 only in quant: three sets.
        assertThat(setOfPool.get("pool-p1")).isNotEqualTo(setOfPool.get("pool-p2")).isNotEqualTo(setOfPool.get("pool-p3"));
        assertThat(setOfPool.get("pool-p2")).isNotEqualTo(setOfPool.get("pool-p3"));
        List<Map<String, Object>> sets = asAdmin().get("/v1/replicasets").then().statusCode(200).extract().path("items");
        for (String pool : List.of("pool-p1", "pool-p2", "pool-p3")) {
            Map<String, Object> set = sets.stream().filter(s -> s.get("replica_set_id").equals(setOfPool.get(pool))).findFirst().orElseThrow();
            assertThat(set.get("pool_ids")).as(pool).isEqualTo(List.of(pool));
            assertThat(set.get("engine")).isEqualTo("llamacpp");
        }
        Map<String, Object> p3 = sets.stream().filter(s -> s.get("replica_set_id").equals(setOfPool.get("pool-p3"))).findFirst().orElseThrow();
        assertThat(p3.get("quant")).isEqualTo("q8_0");
        assertThat(p3.get("sampler_profile_version")).isEqualTo("sp-1");
        // Pools declaring neither keep one set for equal builds (pool-a and pool-b serve dev-tiny on one engine build).
        // Another class may have just drained and restored pool-b: wait until both have reported again.
        Await.until(Duration.ofSeconds(30), () -> replicaSet("pool-a") != null && replicaSet("pool-b") != null,
                "pool-a and pool-b report their replica set");
        assertThat(replicaSet("pool-a")).isEqualTo(replicaSet("pool-b")).doesNotContain("-sp.").doesNotContain("-q.");
    }

    private static String replicaSet(String pool) {
        return asAdmin().get("/v1/pools/" + pool).then().statusCode(200).extract().path("replica_set_id");
    }

    @Test
    @DisplayName("ADM-1 sampling is part of the idempotency comparison: the same body replays, other sampling is 409")
    void idempotencyComparesSampling() {
        Map<String, Object> body = sampled("dev-tiny", 5, Map.of("temperature", 0.5));
        String id = submit(TENANT, body);
        as(TENANT).contentType(ContentType.JSON).body(body).post("/v1/tasks").then().statusCode(202).body("task_id", equalTo(id));
        Map<String, Object> other = new HashMap<>(body);
        other.put("sampling", Map.of("temperature", 0.6));
        as(TENANT).contentType(ContentType.JSON).body(other).post("/v1/tasks").then().statusCode(409).body("code", equalTo("CONFLICT"));
        Map<String, Object> without = new HashMap<>(body);
        without.remove("sampling");
        as(TENANT).contentType(ContentType.JSON).body(without).post("/v1/tasks").then().statusCode(409);
    }
}
