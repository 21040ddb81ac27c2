package io.sluice.app.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.SluiceStack;
import io.sluice.app.testing.Sse;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@QuarkusTest
class TaskFlowTest extends ApiTest {
    private static final String TENANT = "flow-tenant";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @DisplayName("ADM-1 SSE-1 ADM-6 REL-2 a task is accepted, streamed started/metrics/token/end in order, and recorded")
    void endToEnd() throws Exception {
        Map<String, Object> body = task("dev-tiny");
        // 40 tokens: past the 32-token period of the metrics events, so the stream carries a periodic one too.
        body.put("max_tokens", 40);
        Response r = as(TENANT).contentType(ContentType.JSON).header("X-Correlation-Id", "flow-corr-1").body(body)
                .post("/v1/tasks");
        r.then().statusCode(202)
                .header("X-Correlation-Id", "flow-corr-1")
                .body("task_id", equalTo(body.get("task_id")))
                .body("queue_position", notNullValue());
        String id = (String) body.get("task_id");

        List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
        Sse.assertMatchesContract(events);
        assertThat(events.get(0).name()).isEqualTo("started");
        assertThat(events.get(events.size() - 1).name()).isEqualTo("end");
        assertThat(events.stream().filter(Sse.Event::terminal)).hasSize(1);
        List<JsonNode> tokens = events.stream().filter(e -> e.name().equals("token")).map(e -> read(e.data())).toList();
        assertThat(tokens).hasSize(40);
        for (int i = 0; i < tokens.size(); i++) {
            assertThat(tokens.get(i).path("i").asInt()).isEqualTo(i);
        }
        assertThat(events).extracting(Sse.Event::id).isSorted().doesNotHaveDuplicates();
        assertThat(read(events.get(events.size() - 1).data()).path("tokens_out").asInt()).isEqualTo(40);

        // SSE-1 metrics: one when the task starts running (before its first token) and one every 32 tokens after,
        // each counting the tokens streamed before it; all between started and the terminal event.
        int firstToken = indexOf(events, "token", 0);
        int startMetrics = indexOf(events, "metrics", 0);
        assertThat(startMetrics).as("a metrics event before the first token").isBetween(1, firstToken - 1);
        JsonNode running = read(events.get(startMetrics).data());
        assertThat(running.path("state").asText()).isEqualTo("running");
        assertThat(running.path("replica_id").asText()).startsWith("pool-");
        int tokensSoFar = 0;
        int periodic = 0;
        for (Sse.Event e : events) {
            if (e.name().equals("token")) {
                tokensSoFar++;
            } else if (e.name().equals("metrics") && tokensSoFar > 0) {
                JsonNode m = read(e.data());
                assertThat(m.path("tokens_out").asInt()).as("tokens_out of a periodic metrics event").isEqualTo(tokensSoFar);
                assertThat(m.path("replica_id").asText()).isEqualTo(running.path("replica_id").asText());
                periodic++;
            }
        }
        assertThat(periodic).as("periodic metrics events in a 40-token stream").isEqualTo(1);
        assertThat(events.get(indexOf(events, "token", 0) + 32).name()).as("the event after token 31").isEqualTo("metrics");

        as(TENANT).get("/v1/tasks/" + id).then().statusCode(200)
                .body("state", equalTo("succeeded"))
                .body("tokens_out", equalTo(40))
                .body("model_ref", equalTo("dev-tiny"));
        assertThat(countRows("tasks where id = '" + id + "' and state = 'succeeded' and tenant_id = '" + TENANT + "'")).isEqualTo(1);
        // REL-5: the stored lifecycle row is what the stream showed (terminal id) and the live status said (created_at).
        long terminalId = events.get(events.size() - 1).id();
        String liveCreatedAt = as(TENANT).get("/v1/tasks/" + id).then().extract().path("created_at");
        assertThat(countRows("tasks where id = '" + id + "' and created_at = '" + liveCreatedAt + "'::timestamptz")).isEqualTo(1);
        assertThat(countRows("tasks where id = '" + id + "' and started_at is not null and ended_at is not null"
                + " and terminal_event_id = " + terminalId + " and tokens_out = 40")).isEqualTo(1);
    }

    private static int indexOf(List<Sse.Event> events, String name, int from) {
        for (int i = from; i < events.size(); i++) {
            if (events.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no " + name + " event in " + events);
    }

    @Test
    @DisplayName("ADM-6 a correlation id is generated when the caller sends none, and a bad one is replaced")
    void correlationIdGenerated() {
        String generated = as(TENANT).get("/v1/tasks/" + UUID.randomUUID()).then().statusCode(404).extract().header("X-Correlation-Id");
        assertThat(generated).isNotBlank();
        String replaced = as(TENANT).header("X-Correlation-Id", "bad value with spaces").get("/v1/tasks/" + UUID.randomUUID())
                .then().statusCode(404).extract().header("X-Correlation-Id");
        assertThat(replaced).isNotEqualTo("bad value with spaces").isNotBlank();
    }

    @Test
    @DisplayName("ADM-1 re-posting the same task is idempotent; the same id with another body is 409")
    void idempotentRepost() {
        Map<String, Object> body = task("dev-tiny");
        Response first = as(TENANT).contentType(ContentType.JSON).body(body).post("/v1/tasks");
        first.then().statusCode(202);
        Response again = as(TENANT).contentType(ContentType.JSON).body(body).post("/v1/tasks");
        again.then().statusCode(202);
        assertThat(again.jsonPath().getMap("")).isEqualTo(first.jsonPath().getMap(""));

        Map<String, Object> changed = new java.util.HashMap<>(body);
        changed.put("max_tokens", 17);
        as(TENANT).contentType(ContentType.JSON).body(changed).post("/v1/tasks").then().statusCode(409)
                .body("code", equalTo("CONFLICT"))
                .body("field", equalTo("task_id"));
        assertThat(countRows("tasks where id = '" + body.get("task_id") + "'")).isEqualTo(1);
    }

    @Test
    @DisplayName("SSE-2 a late client replays every event from the start; Last-Event-ID resumes after it")
    void replayAndResume() throws Exception {
        String id = submit(TENANT, task("dev-tiny"));
        List<Sse.Event> all = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
        List<Sse.Event> again = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
        assertThat(again).isEqualTo(all);
        long resumeAfter = all.get(4).id();
        try (Sse.Stream s = Sse.open(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT), Long.toString(resumeAfter))) {
            List<Sse.Event> rest = s.until(Sse.Event::terminal);
            assertThat(rest).isEqualTo(all.subList(5, all.size()));
        }
    }

    @Test
    @DisplayName("DET-1 equal prompt and seed give byte-identical token streams on the two replicas of pool-a; another seed differs")
    void deterministicAcrossReplicas() {
        Map<String, Object> first = detTask(42);
        List<Sse.Event> firstRun = run(first);
        String firstReplica = replicaOf(first);
        assertThat(firstReplica).as("an idle dev-tiny task is placed on pool-a (least loaded, ties by pool id)")
                .isIn("pool-a/r0", "pool-a/r1");
        // Pin the second run to the other replica: the one that served the first answers 500 once, before any token,
        // and the task is retried on the other replica of the same pool (REL-1).
        String firstEngine = firstReplica.equals("pool-a/r0") ? "a0" : "a1";
        Map<String, Object> second = detTask(42);
        List<Sse.Event> secondRun;
        SluiceStack.armFault(firstEngine, "{\"mode\":\"http_5xx\",\"status\":500,\"count\":1}");
        try {
            secondRun = run(second);
        } finally {
            SluiceStack.clearFaults(firstEngine);
        }
        String secondReplica = replicaOf(second);
        assertThat(secondReplica).as("the second run is served by the other replica of pool-a")
                .startsWith("pool-a/").isNotEqualTo(firstReplica);

        List<String> firstTokens = tokenFrames(firstRun);
        assertThat(firstTokens).hasSize(24);
        assertThat(tokenFrames(secondRun)).as("token frames, byte for byte and in order, on %s and %s", firstReplica, secondReplica)
                .containsExactlyElementsOf(firstTokens);
        assertThat(read(last(secondRun).data()).path("tokens_out")).isEqualTo(read(last(firstRun).data()).path("tokens_out"));

        Map<String, Object> otherSeed = detTask(43);
        assertThat(tokenFrames(run(otherSeed))).as("another seed gives another stream").isNotEqualTo(firstTokens);
    }

    private static Map<String, Object> detTask(long seed) {
        Map<String, Object> b = task("dev-tiny");
        b.put("seed", seed);
        b.put("prompt", "Determinism check");
        b.put("max_tokens", 24);
        return b;
    }

    private static List<Sse.Event> run(Map<String, Object> body) {
        List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + submit(TENANT, body) + "/stream", tenantToken(TENANT));
        assertThat(last(events).name()).as("stream of %s ends", body.get("task_id")).isEqualTo("end");
        return events;
    }

    private static String replicaOf(Map<String, Object> body) {
        return as(TENANT).get("/v1/tasks/" + body.get("task_id")).then().statusCode(200).extract().path("replica_id");
    }

    /** The raw data of every token event, as the client received it. */
    private static List<String> tokenFrames(List<Sse.Event> events) {
        return events.stream().filter(e -> e.name().equals("token")).map(Sse.Event::data).toList();
    }

    private static Sse.Event last(List<Sse.Event> events) {
        return events.get(events.size() - 1);
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }
}
