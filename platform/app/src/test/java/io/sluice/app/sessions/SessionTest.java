package io.sluice.app.sessions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.Sse;
import io.sluice.app.testing.SluiceStack;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Sessions through the HTTP API: creation, ownership, TTL and turns, read and delete (SES-1, SES-2, SEC-3). */
@QuarkusTest
class SessionTest extends ApiTest {
    private static final String TENANT = "session-tenant";
    private static final String OTHER = "session-other";

    private static Map<String, Object> turn(String session) {
        Map<String, Object> b = task("dev-tiny");
        b.put("session_id", session);
        return b;
    }

    private static void awaitEnded(String tenant, String taskId) {
        Await.until(Duration.ofSeconds(30), () -> {
            String state = as(tenant).get("/v1/tasks/" + taskId).then().statusCode(200).extract().path("state");
            return state.equals("succeeded") || state.equals("failed") || state.equals("canceled");
        }, "task " + taskId + " ended");
    }

    @Test
    @DisplayName("SES-1 the first task naming a session creates it; GET shows its turns, TTL, replica and budgets")
    void firstTaskCreatesTheSession() {
        String session = UUID.randomUUID().toString();
        as(TENANT).get("/v1/sessions/" + session).then().statusCode(404).body("code", equalTo("NOT_FOUND"));

        String first = submit(TENANT, turn(session));
        awaitEnded(TENANT, first);
        as(TENANT).get("/v1/sessions/" + session).then().statusCode(200)
                .body("session_id", equalTo(session))
                .body("turns", equalTo(1))
                .body("max_turns", equalTo(8))
                .body("ttl_ms_remaining", greaterThan(500_000))
                .body("ttl_ms_remaining", lessThanOrEqualTo(600_000))
                .body("kv_bytes", equalTo(0));
        // The replica it ran on is recorded with the task's start (a batched transition): the session names it.
        String replica = as(TENANT).get("/v1/tasks/" + first).then().extract().path("replica_id");
        Await.until(Duration.ofSeconds(10), () -> replica.equals(as(TENANT).get("/v1/sessions/" + session).then().extract().path("replica_id")),
                "the session names the replica its task ran on");
        as(TENANT).get("/v1/sessions/" + session).then().body("kv_warmth", equalTo(true));

        String second = submit(TENANT, turn(session));
        awaitEnded(TENANT, second);
        as(TENANT).get("/v1/sessions/" + session).then().statusCode(200).body("turns", equalTo(2));
    }

    @Test
    @DisplayName("SES-1 SEC-3 another tenant's session is not found: GET and DELETE answer 404, a task naming it 404, nothing changes")
    void anotherTenantsSessionIsNotFound() {
        String session = UUID.randomUUID().toString();
        awaitEnded(TENANT, submit(TENANT, turn(session)));
        long tasksBefore = countRows("tasks where session_id = '" + session + "'");

        as(OTHER).get("/v1/sessions/" + session).then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        as(OTHER).delete("/v1/sessions/" + session).then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        as(OTHER).contentType(ContentType.JSON).body(turn(session)).post("/v1/tasks").then().statusCode(404)
                .body("code", equalTo("NOT_FOUND")).body("field", equalTo("session_id"));

        assertThat(countRows("tasks where session_id = '" + session + "'")).isEqualTo(tasksBefore);
        as(TENANT).get("/v1/sessions/" + session).then().statusCode(200).body("turns", equalTo(1));
    }

    @Test
    @DisplayName("SES-2 a session past its configured turns refuses the next task with 409 CONFLICT at the quota stage")
    void turnLimit() {
        String session = UUID.randomUUID().toString();
        List<String> turns = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            turns.add(submit(TENANT, turn(session)));
        }
        long tasksBefore = countRows("tasks where session_id = '" + session + "'");
        as(TENANT).contentType(ContentType.JSON).body(turn(session)).post("/v1/tasks").then().statusCode(409)
                .body("code", equalTo("CONFLICT")).body("stage", equalTo("quota")).body("retriable", equalTo(false));
        assertThat(countRows("tasks where session_id = '" + session + "'")).isEqualTo(tasksBefore);
        as(TENANT).get("/v1/sessions/" + session).then().statusCode(200).body("turns", equalTo(8));
        // The turns all prefer the session's replica: let them finish, so later tests find the replicas idle.
        turns.forEach(t -> awaitEnded(TENANT, t));
    }

    @Test
    @DisplayName("SES-2 an expired session refuses new tasks with 409 CONFLICT and reads as 404")
    void expiredSession() {
        String session = UUID.randomUUID().toString();
        awaitEnded(TENANT, submit(TENANT, turn(session)));
        sql("update sessions set expires_at = now() - interval '1 second' where id = '" + session + "'");

        as(TENANT).contentType(ContentType.JSON).body(turn(session)).post("/v1/tasks").then().statusCode(409)
                .body("code", equalTo("CONFLICT")).body("message", org.hamcrest.Matchers.containsString("expired"));
        as(TENANT).get("/v1/sessions/" + session).then().statusCode(404);
        assertThat(countRows("tasks where session_id = '" + session + "'")).isEqualTo(1);
    }

    @Test
    @DisplayName("SES-1 DELETE ends a session: 204, then GET 404, DELETE 404, and later tasks naming it are refused with 409")
    void deleteSession() {
        String session = UUID.randomUUID().toString();
        awaitEnded(TENANT, submit(TENANT, turn(session)));

        as(TENANT).delete("/v1/sessions/" + session).then().statusCode(204);
        as(TENANT).get("/v1/sessions/" + session).then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        as(TENANT).delete("/v1/sessions/" + session).then().statusCode(404);
        as(TENANT).contentType(ContentType.JSON).body(turn(session)).post("/v1/tasks").then().statusCode(409)
                .body("code", equalTo("CONFLICT")).body("stage", equalTo("quota"))
                .body("message", org.hamcrest.Matchers.containsString("deleted"));
        assertThat(countRows("tasks where session_id = '" + session + "'")).isEqualTo(1);
    }

    @Test
    @DisplayName("unknown sessions answer 404 and a malformed session id 400")
    void badSessionIds() {
        as(TENANT).get("/v1/sessions/" + UUID.randomUUID()).then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        as(TENANT).delete("/v1/sessions/" + UUID.randomUUID()).then().statusCode(404);
        io.restassured.RestAssured.given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT))
                .get("/v1/sessions/not-a-uuid").then().statusCode(400).body("code", equalTo("INVALID_PARAMS"));
    }

    @Test
    @DisplayName("SES-3 a session's next task goes to the replica that served it last, not the least-loaded one; kv_warmth is measured")
    void affinity() {
        // A long task occupies pool-a/r0, the replica every idle placement picks first, so the session starts elsewhere.
        Map<String, Object> longTask = task("dev-tiny");
        longTask.put("max_tokens", 400);
        String blocker = submit(TENANT, longTask);
        Await.until(Duration.ofSeconds(10), () -> "running".equals(as(TENANT).get("/v1/tasks/" + blocker).then().extract().path("state")),
                "the long task runs");
        assertThat((String) as(TENANT).get("/v1/tasks/" + blocker).then().extract().path("replica_id")).isEqualTo("pool-a/r0");

        String session = UUID.randomUUID().toString();
        Map<String, Object> first = turn(session);
        first.put("kv_hint", "reuse");
        String s1 = submit(TENANT, first);
        List<Sse.Event> firstEvents = Sse.readAll(baseUrl() + "/v1/tasks/" + s1 + "/stream", tenantToken(TENANT));
        String sessionReplica = as(TENANT).get("/v1/tasks/" + s1).then().extract().path("replica_id");
        assertThat(sessionReplica).isNotEqualTo("pool-a/r0");
        assertThat(firstMetrics(firstEvents)).contains("\"kv_warmth\":false");
        awaitEnded(TENANT, blocker);

        // Everything idle again: a task without a session history goes to pool-a/r0 ...
        String cold = submit(TENANT, task("dev-tiny"));
        awaitEnded(TENANT, cold);
        assertThat((String) as(TENANT).get("/v1/tasks/" + cold).then().extract().path("replica_id")).isEqualTo("pool-a/r0");
        // ... and the session's next turn to its own replica, warm.
        Map<String, Object> second = turn(session);
        second.put("kv_hint", "reuse");
        String s2 = submit(TENANT, second);
        List<Sse.Event> secondEvents = Sse.readAll(baseUrl() + "/v1/tasks/" + s2 + "/stream", tenantToken(TENANT));
        assertThat((String) as(TENANT).get("/v1/tasks/" + s2).then().extract().path("replica_id")).isEqualTo(sessionReplica);
        assertThat(firstMetrics(secondEvents)).contains("\"kv_warmth\":true");

        // kv_hint cold asks for no reuse: placement ignores the session's replica and reports no warmth.
        Map<String, Object> third = turn(session);
        third.put("kv_hint", "cold");
        String s3 = submit(TENANT, third);
        List<Sse.Event> thirdEvents = Sse.readAll(baseUrl() + "/v1/tasks/" + s3 + "/stream", tenantToken(TENANT));
        assertThat((String) as(TENANT).get("/v1/tasks/" + s3).then().extract().path("replica_id")).isEqualTo("pool-a/r0");
        assertThat(firstMetrics(thirdEvents)).contains("\"kv_warmth\":false");
    }

    @Test
    @DisplayName("SES-3 when the session's replica fails, the task fails over to another replica and reports kv_warmth false")
    void failoverReportsColdKv() {
        String session = UUID.randomUUID().toString();
        Map<String, Object> first = task("fault-tiny");
        first.put("session_id", session);
        first.put("kv_hint", "reuse");
        String s1 = submit(TENANT, first);
        awaitEnded(TENANT, s1);
        String sessionReplica = as(TENANT).get("/v1/tasks/" + s1).then().extract().path("replica_id");
        String engine = sessionReplica.endsWith("/r0") ? "f0" : "f1";
        SluiceStack.armFault(engine, "{\"mode\":\"http_5xx\",\"status\":500,\"count\":1}");
        try {
            Map<String, Object> second = task("fault-tiny");
            second.put("session_id", session);
            second.put("kv_hint", "reuse");
            String s2 = submit(TENANT, second);
            List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + s2 + "/stream", tenantToken(TENANT));
            List<String> metrics = events.stream().filter(e -> e.name().equals("metrics")).map(Sse.Event::data).toList();
            // First attempt on the session's replica (warm), then the retry elsewhere (cold), then the answer.
            assertThat(metrics.get(0)).contains("\"kv_warmth\":true").contains(sessionReplica);
            assertThat(metrics.get(1)).contains("\"kv_warmth\":false").doesNotContain(sessionReplica);
            assertThat(events.get(events.size() - 1).name()).isEqualTo("end");
            assertThat((String) as(TENANT).get("/v1/tasks/" + s2).then().extract().path("replica_id")).isNotEqualTo(sessionReplica);
        } finally {
            SluiceStack.clearFaults(engine);
        }
    }

    private static Long kvBytes(String session) {
        Number n = as(TENANT).get("/v1/sessions/" + session).then().statusCode(200).extract().path("kv_bytes");
        return n.longValue();
    }

    @Test
    @DisplayName("SES-1 kv_bytes is the context the session's last turn left on its Ready replica times the pool's kv_bytes_per_token; 0 once that replica is not Ready")
    void kvBytesFollowTheLastTurnAndTheReplica() {
        String session = UUID.randomUUID().toString();
        Map<String, Object> first = task("fault-tiny");
        first.put("session_id", session);
        String s1 = submit(TENANT, first);
        awaitEnded(TENANT, s1);
        // pool-f declares 4,096 bytes per token. "Hello, Sluice" is 4 prompt tokens and the turn generated 16: 20 tokens.
        Await.until(Duration.ofSeconds(10), () -> kvBytes(session) == 20L * 4096, "kv_bytes counts the first turn's 20 tokens");
        as(TENANT).get("/v1/sessions/" + session).then().body("kv_warmth", equalTo(true));

        // The cache holds what the last turn left: a second turn of 8 tokens on the same replica leaves 12.
        Map<String, Object> second = task("fault-tiny");
        second.put("session_id", session);
        second.put("kv_hint", "reuse");
        second.put("max_tokens", 8);
        String s2 = submit(TENANT, second);
        awaitEnded(TENANT, s2);
        Await.until(Duration.ofSeconds(10), () -> kvBytes(session) == 12L * 4096, "kv_bytes follows the last turn");

        // The replica stops being Ready (its engine reports unhealthy): the session's cache is gone with it.
        String replica = as(TENANT).get("/v1/sessions/" + session).then().extract().path("replica_id");
        String engine = replica.endsWith("/r0") ? "f0" : "f1";
        SluiceStack.armFault(engine, "{\"mode\":\"refuse_load\",\"count\":-1}");
        try {
            Await.until(Duration.ofSeconds(30), () -> kvBytes(session) == 0L, "kv_bytes is 0 while the session's replica is not Ready");
            as(TENANT).get("/v1/sessions/" + session).then().body("kv_warmth", equalTo(false)).body("replica_id", equalTo(replica));
        } finally {
            SluiceStack.clearFaults(engine);
            Await.until(Duration.ofSeconds(60), () -> ((List<?>) asAdmin().get("/v1/pools/pool-f/health").then().extract()
                    .path("replicas.findAll { it.state == 'ready' }")).size() == 2, "pool-f's replicas are Ready again");
        }
    }

    private static String firstMetrics(List<Sse.Event> events) {
        return events.stream().filter(e -> e.name().equals("metrics")).findFirst().orElseThrow().data();
    }
}
