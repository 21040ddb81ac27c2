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
import io.sluice.app.testing.Contract;
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

    private static final Map<String, String> SCHEMA_OF = Map.of(
            "started", "StartedEvent", "token", "TokenEvent", "metrics", "MetricsEvent", "end", "EndEvent", "error", "ErrorEvent");

    static void assertEventsMatchContract(List<Sse.Event> events) {
        for (Sse.Event e : events) {
            assertThat(SCHEMA_OF).as("known event name").containsKey(e.name());
            assertThat(Contract.violations(SCHEMA_OF.get(e.name()), e.data())).as("%s payload %s", e.name(), e.data()).isEmpty();
        }
    }

    static String textOf(List<Sse.Event> events) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (Sse.Event e : events) {
            if (e.name().equals("token")) {
                sb.append(JSON.readTree(e.data()).path("t").asText());
            }
        }
        return sb.toString();
    }

    @Test
    @DisplayName("ADM-1 SSE-1 ADM-6 REL-2 a task is accepted, streamed started/token/metrics/end, and recorded")
    void endToEnd() throws Exception {
        Map<String, Object> body = task("dev-tiny");
        Response r = as(TENANT).contentType(ContentType.JSON).header("X-Correlation-Id", "flow-corr-1").body(body)
                .post("/v1/tasks");
        r.then().statusCode(202)
                .header("X-Correlation-Id", "flow-corr-1")
                .body("task_id", equalTo(body.get("task_id")))
                .body("queue_position", notNullValue());
        String id = (String) body.get("task_id");

        List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
        assertEventsMatchContract(events);
        assertThat(events.get(0).name()).isEqualTo("started");
        assertThat(events.get(events.size() - 1).name()).isEqualTo("end");
        assertThat(events.stream().filter(Sse.Event::terminal)).hasSize(1);
        List<JsonNode> tokens = events.stream().filter(e -> e.name().equals("token")).map(e -> read(e.data())).toList();
        assertThat(tokens).hasSize(16);
        for (int i = 0; i < tokens.size(); i++) {
            assertThat(tokens.get(i).path("i").asInt()).isEqualTo(i);
        }
        assertThat(events).extracting(Sse.Event::id).isSorted().doesNotHaveDuplicates();
        assertThat(read(events.get(events.size() - 1).data()).path("tokens_out").asInt()).isEqualTo(16);

        as(TENANT).get("/v1/tasks/" + id).then().statusCode(200)
                .body("state", equalTo("succeeded"))
                .body("tokens_out", equalTo(16))
                .body("model_ref", equalTo("dev-tiny"));
        assertThat(countRows("tasks where id = '" + id + "' and state = 'succeeded' and tenant_id = '" + TENANT + "'")).isEqualTo(1);
        // REL-5: the stored lifecycle row is what the stream showed (terminal id) and the live status said (created_at).
        long terminalId = events.get(events.size() - 1).id();
        String liveCreatedAt = as(TENANT).get("/v1/tasks/" + id).then().extract().path("created_at");
        assertThat(countRows("tasks where id = '" + id + "' and created_at = '" + liveCreatedAt + "'::timestamptz")).isEqualTo(1);
        assertThat(countRows("tasks where id = '" + id + "' and started_at is not null and ended_at is not null"
                + " and terminal_event_id = " + terminalId + " and tokens_out = 16")).isEqualTo(1);
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
    @DisplayName("DET-1 equal prompt and seed give byte-identical streams through the platform; another seed differs")
    void deterministicStreams() throws Exception {
        Map<String, Object> a = task("dev-tiny");
        a.put("seed", 42);
        a.put("prompt", "Determinism check");
        Map<String, Object> b = task("dev-tiny");
        b.put("seed", 42);
        b.put("prompt", "Determinism check");
        Map<String, Object> c = task("dev-tiny");
        c.put("seed", 43);
        c.put("prompt", "Determinism check");
        String ta = textOf(Sse.readAll(baseUrl() + "/v1/tasks/" + submit(TENANT, a) + "/stream", tenantToken(TENANT)));
        String tb = textOf(Sse.readAll(baseUrl() + "/v1/tasks/" + submit(TENANT, b) + "/stream", tenantToken(TENANT)));
        String tc = textOf(Sse.readAll(baseUrl() + "/v1/tasks/" + submit(TENANT, c) + "/stream", tenantToken(TENANT)));
        assertThat(ta).isNotEmpty().isEqualTo(tb);
        assertThat(tc).isNotEqualTo(ta);
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }
}
