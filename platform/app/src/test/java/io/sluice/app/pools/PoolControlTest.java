package io.sluice.app.pools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.SluiceStack;
import io.sluice.app.testing.Sse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The pool control plane through the HTTP API (POOL-3): live state, drain, reload, replica sets, capabilities. */
@QuarkusTest
class PoolControlTest extends ApiTest {
    private static final String TENANT = "pools-tenant";

    private static String poolState(String pool) {
        return asAdmin().get("/v1/pools/" + pool).then().statusCode(200).extract().path("state");
    }

    private static void reload(String pool, String model) {
        asAdmin().contentType(ContentType.JSON).body(Map.of("new_model_ref", model)).post("/v1/pools/" + pool + "/reload").then()
                .statusCode(202).body("action", equalTo("reload")).body("new_model_ref", equalTo(model));
        Await.until(Duration.ofSeconds(30), () -> "ready".equals(poolState(pool)), pool + " is ready again");
        Await.until(Duration.ofSeconds(30),
                () -> "succeeded".equals(asAdmin().get("/v1/pools/" + pool).then().extract().path("reload.state")), "the reload succeeded");
    }

    @Test
    @DisplayName("POOL-3 pools, pool and health answer the live replica states, slots and last error")
    void livePoolState() {
        asAdmin().get("/v1/pools").then().statusCode(200)
                .body("items.pool_id", equalTo(List.of("pool-a", "pool-b", "pool-c", "pool-d", "pool-f", "pool-g", "pool-h", "pool-k", "pool-l", "pool-m", "pool-p1", "pool-p2",
                        "pool-p3", "pool-s", "pool-t", "pool-v", "pool-w", "pool-x", "pool-z")));
        asAdmin().get("/v1/pools/pool-a").then().statusCode(200)
                .body("engine", equalTo("llamacpp")).body("model_ref", equalTo("dev-tiny")).body("state", equalTo("ready"))
                .body("replicas_total", equalTo(2)).body("replicas_ready", equalTo(2)).body("engine_version", equalTo("b4242-sim"))
                .body("queue.full_policy", equalTo("reject")).body("replica_set_id", notNullValue());
        asAdmin().get("/v1/pools/pool-a/health").then().statusCode(200)
                .body("live", equalTo(true)).body("ready", equalTo(true)).body("draining", equalTo(false))
                .body("metrics.total_slots", equalTo(8)).body("replicas.state", equalTo(List.of("ready", "ready")))
                .body("replicas[0].slots_total", equalTo(4));
        // The pool whose only replica never answers: not ready, not live, with the probe's error and when it happened.
        asAdmin().get("/v1/pools/pool-x").then().statusCode(200).body("state", equalTo("unready")).body("replicas_ready", equalTo(0));
        asAdmin().get("/v1/pools/pool-x/health").then().statusCode(200)
                .body("live", equalTo(false)).body("ready", equalTo(false))
                .body("last_error.replica_id", equalTo("pool-x/r0")).body("last_error.at", notNullValue())
                .body("replicas[0].state", equalTo("unready"));
    }

    @Test
    @DisplayName("POOL-3 replica sets group the pools serving one model on one engine version, with load figures")
    void replicaSets() {
        asAdmin().get("/v1/replicasets").then().statusCode(200)
                .body("items.find { it.pool_ids.contains('pool-a') }.pool_ids", equalTo(List.of("pool-a", "pool-b")))
                .body("items.find { it.pool_ids.contains('pool-a') }.replicas.total", equalTo(3))
                .body("items.find { it.pool_ids.contains('pool-a') }.replicas.ready", equalTo(3))
                .body("items.find { it.pool_ids.contains('pool-a') }.load.total_slots", equalTo(12))
                .body("items.find { it.pool_ids.contains('pool-a') }.engine_version", equalTo("b4242-sim"))
                .body("items.pool_ids.flatten()", org.hamcrest.Matchers.not(hasItem("pool-x")));
    }

    @Test
    @DisplayName("POOL-3 capabilities name the served engines and versions, the contract's api_version and the caller's roles")
    void capabilities() {
        String version = Contract.model().getInfo().getVersion();
        as(TENANT).get("/v1/capabilities").then().statusCode(200)
                .body("api_version", equalTo(version)).body("roles", equalTo(List.of("tenant"))).body("tenant_id", equalTo(TENANT))
                .body("engines.engine", equalTo(List.of("llamacpp", "triton", "tgi"))).body("engines[0].engine_versions", equalTo(List.of("b4242-sim")))
                .body("engines[0].features.cancel", equalTo(true)).body("defaults.session_max_turns", equalTo(8))
                .body("defaults.session_ttl_ms", equalTo(600000));
        asAdmin().get("/v1/capabilities").then().statusCode(200).body("roles", equalTo(List.of("admin")));
    }

    @Test
    @DisplayName("POOL-3 SEC-2 the pool control plane is admin-only: a tenant token answers 403, an unknown pool 404")
    void adminOnlyAndUnknownPools() {
        as(TENANT).get("/v1/pools").then().statusCode(403).body("code", equalTo("FORBIDDEN"));
        as(TENANT).get("/v1/pools/pool-a/health").then().statusCode(403);
        as(TENANT).contentType(ContentType.JSON).body(Map.of("deadline_ms", 1000)).post("/v1/pools/pool-a/drain").then().statusCode(403);
        as(TENANT).get("/v1/replicasets").then().statusCode(403);
        asAdmin().get("/v1/pools/no-such-pool").then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        asAdmin().get("/v1/pools/no-such-pool/health").then().statusCode(404);
        asAdmin().contentType(ContentType.JSON).body(Map.of("deadline_ms", 1000)).post("/v1/pools/no-such-pool/drain").then().statusCode(404);
        asAdmin().contentType(ContentType.JSON).body(Map.of("new_model_ref", "dev-tiny")).post("/v1/pools/no-such-pool/reload").then()
                .statusCode(404);
        assertThat(countRows("pool_drains where pool_id = 'no-such-pool'")).isZero();
        // Bad bodies (sent past the client-side contract check): 400 naming the field, nothing stored.
        for (Object deadline : List.of(-1, 86_400_001L)) {
            RestAssured.given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + adminToken())
                    .contentType(ContentType.JSON).body(Map.of("deadline_ms", deadline)).post("/v1/pools/pool-a/drain").then()
                    .statusCode(400).body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("deadline_ms"));
        }
        RestAssured.given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + adminToken())
                .contentType(ContentType.JSON).body(Map.of()).post("/v1/pools/pool-a/drain").then().statusCode(400);
        assertThat(countRows("pool_drains where pool_id = 'pool-a'")).isZero();
        // A model that is neither a catalog entry nor the pool's own: 404 naming the field, the pool is untouched.
        asAdmin().contentType(ContentType.JSON).body(Map.of("new_model_ref", "other-model")).post("/v1/pools/pool-a/reload").then()
                .statusCode(404).body("code", equalTo("NOT_FOUND")).body("field", equalTo("new_model_ref"));
        assertThat(poolState("pool-a")).isEqualTo("ready");
    }

    @Test
    @DisplayName("POOL-3 drain stops placing tasks on the pool, lets the running one finish, shows draining then drained; reload serves again")
    void drainLetsRunningTasksFinish() {
        Map<String, Object> body = task("slow-tiny");
        body.put("max_tokens", 30);
        String running = submit(TENANT, body);
        Await.until(Duration.ofSeconds(10), () -> "running".equals(as(TENANT).get("/v1/tasks/" + running).then().extract().path("state")),
                "the task runs");
        try {
            asAdmin().contentType(ContentType.JSON).body(Map.of("deadline_ms", 60000)).post("/v1/pools/pool-s/drain").then()
                    .statusCode(202).body("action", equalTo("drain")).body("deadline_at", notNullValue());
            asAdmin().get("/v1/pools/pool-s").then().body("state", equalTo("draining")).body("drain.in_flight", equalTo(1));
            asAdmin().get("/v1/pools/pool-s/health").then().body("draining", equalTo(true));
            // No other pool serves slow-tiny: a new task has nowhere to go.
            as(TENANT).contentType(ContentType.JSON).body(task("slow-tiny")).post("/v1/tasks").then().statusCode(503)
                    .body("code", equalTo("POOL_UNAVAILABLE"));

            List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + running + "/stream", tenantToken(TENANT));
            assertThat(events.get(events.size() - 1).name()).isEqualTo("end");
            Await.until(Duration.ofSeconds(10), () -> "drained".equals(poolState("pool-s")), "pool-s is drained");
        } finally {
            reload("pool-s", "slow-tiny");
        }
        submit(TENANT, task("slow-tiny"));
        assertThat(countRows("pool_drains where pool_id = 'pool-s'")).isZero();
    }

    private static String taskField(String id, String field) {
        return as(TENANT).get("/v1/tasks/" + id).then().statusCode(200).extract().path(field);
    }

    @Test
    @DisplayName("POOL-3 a drain moves the tasks waiting for the pool to another Ready pool of their model, where they run to their end")
    void drainMovesWaitingTasksToAnotherPool() {
        // dev-tiny: pool-a has 8 slots, pool-b 4. Placement spreads 24 long tasks by load, so pool-b runs 4 and queues
        // the rest of its share; the drain follows at once.
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 24; i++) {
            Map<String, Object> body = task("dev-tiny");
            body.put("max_tokens", 2400);
            ids.add(submit(TENANT, body));
        }
        try {
            asAdmin().contentType(ContentType.JSON).body(Map.of("deadline_ms", 60000)).post("/v1/pools/pool-b/drain").then().statusCode(202);
            // Moved when the drain was applied: nothing waits for pool-b any more.
            asAdmin().get("/v1/pools/pool-b").then().body("queue.depth.interactive", equalTo(0));
            List<String> moved = new java.util.ArrayList<>();
            for (String id : ids) {
                List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
                Sse.Event last = events.get(events.size() - 1);
                assertThat(last.name()).as("last event of task %s: %s", id, last.data()).isEqualTo("end");
                // 'started' names the pool that admitted the task; the replica is where it ran.
                boolean admittedToB = events.get(0).name().equals("started") && events.get(0).data().contains("\"pool_id\":\"pool-b\"");
                String ranOn = taskField(id, "replica_id");
                if (admittedToB && ranOn.startsWith("pool-a/")) {
                    moved.add(id);
                    assertThat(taskField(id, "pool_id")).isEqualTo("pool-a");
                }
            }
            assertThat(moved).as("tasks admitted to pool-b that ran on pool-a").isNotEmpty();
        } finally {
            reload("pool-b", "dev-tiny");
        }
    }

    @Test
    @DisplayName("POOL-3 a drain ends the tasks waiting for a pool no other Ready pool can replace with POOL_UNAVAILABLE at once; the running one finishes")
    void drainEndsWaitingTasksNoPoolCanTake() {
        // slow-tiny has one pool, pool-s, with one slot at 20 tokens/s: one task runs ~4 s, two wait.
        Map<String, Object> body = task("slow-tiny");
        body.put("max_tokens", 80);
        String running = submit(TENANT, body);
        Await.until(Duration.ofSeconds(10), () -> "running".equals(taskField(running, "state")), "the first task runs");
        List<String> waiting = List.of(submit(TENANT, task("slow-tiny")), submit(TENANT, task("slow-tiny")));
        try {
            asAdmin().contentType(ContentType.JSON).body(Map.of("deadline_ms", 600000)).post("/v1/pools/pool-s/drain").then().statusCode(202);
            for (String id : waiting) {
                // Long before the deadline, and while the running task still runs.
                List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
                Sse.Event last = events.get(events.size() - 1);
                assertThat(last.name()).isEqualTo("error");
                assertThat(last.data()).contains("\"code\":\"POOL_UNAVAILABLE\"").contains("\"retriable\":true");
                assertThat(taskField(id, "state")).isEqualTo("failed");
            }
            assertThat(taskField(running, "state")).isEqualTo("running");
            List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + running + "/stream", tenantToken(TENANT));
            assertThat(events.get(events.size() - 1).name()).isEqualTo("end");
        } finally {
            reload("pool-s", "slow-tiny");
        }
    }

    @Test
    @DisplayName("POOL-3 at the drain deadline a running task ends CANCELED and its engine request is aborted")
    void drainDeadlineCancels() {
        long abortedBefore = SluiceStack.simStats("s0").path("aborted").asLong();
        Map<String, Object> body = task("slow-tiny");
        body.put("max_tokens", 400);
        String running = submit(TENANT, body);
        Await.until(Duration.ofSeconds(10), () -> "running".equals(as(TENANT).get("/v1/tasks/" + running).then().extract().path("state")),
                "the task runs");
        try {
            asAdmin().contentType(ContentType.JSON).body(Map.of("deadline_ms", 300)).post("/v1/pools/pool-s/drain").then().statusCode(202);
            List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + running + "/stream", tenantToken(TENANT));
            assertThat(events.get(events.size() - 1).data()).contains("\"code\":\"CANCELED\"");
            Await.until(Duration.ofSeconds(10), () -> SluiceStack.simStats("s0").path("active").asInt() == 0
                    && SluiceStack.simStats("s0").path("aborted").asLong() > abortedBefore, "s0 aborted the generation");
        } finally {
            reload("pool-s", "slow-tiny");
        }
    }

    @Test
    @DisplayName("POOL-3 REL-5 a drain stored by another instance reaches this one through the change feed, and so does its end")
    void drainFromAnotherInstance() {
        // What another instance's drain writes: the row. Nothing else tells this instance.
        sql("insert into pool_drains (pool_id, started_at, deadline_at, started_by) values ('pool-b', now(), now() + interval '1 hour', 'peer')");
        try {
            Await.until(Duration.ofSeconds(10), () -> "drained".equals(poolState("pool-b")), "pool-b drains here too");
            // Tasks for dev-tiny now all go to pool-a.
            for (int i = 0; i < 3; i++) {
                String id = submit(TENANT, task("dev-tiny"));
                assertThat((String) as(TENANT).get("/v1/tasks/" + id).then().extract().path("pool_id")).isEqualTo("pool-a");
            }
        } finally {
            sql("delete from pool_drains where pool_id = 'pool-b'");
        }
        Await.until(Duration.ofSeconds(10), () -> "ready".equals(poolState("pool-b")), "pool-b serves again");
    }
}
