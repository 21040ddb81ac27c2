package io.sluice.app.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The shadow queue full (POL-8, ADR 0026): one shadow thread, room for one waiting evaluation, and a candidate that
 * spins for seconds. While the thread spins, every further shadow evaluation is dropped and counted in
 * {@code policy_shadow_dropped_total}; admission goes on with the live decision and never waits for the candidate.
 * The same holds for a route candidate: placement goes on with the bound version's order.
 */
@QuarkusTest
@TestProfile(PolicyShadowQueueTest.OneSlowShadowSlot.class)
class PolicyShadowQueueTest extends ApiTest {
    private static final String TENANT = "pol8-queue";
    private static final String POLICY = "model-allowlist";
    private static final String ROUTE_TENANT = "pol8-queue-route";
    private static final String ROUTE_POLICY = "route-preferred-pool";
    private static final int TASKS = 6;
    /** The CPU limit of one policy call here: the spinning candidate holds the shadow thread this long. */
    private static final long SPIN_MS = 5_000;

    public static class OneSlowShadowSlot implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "sluice.policy.shadow.threads", "1",
                    "sluice.policy.shadow.queue-capacity", "1",
                    "sluice.policy.call-timeout-ms", Long.toString(SPIN_MS),
                    "sluice.policy.call-wall-timeout-ms", Long.toString(2 * SPIN_MS));
        }
    }

    private static long evaluated() {
        Number n = as(TENANT).get("/v1/policies/" + POLICY + "/shadow/report").then().statusCode(200).extract().path("evaluated");
        return n.longValue();
    }

    private static long routeEvaluated() {
        Number n = as(ROUTE_TENANT).queryParam("hook", "route").get("/v1/policies/" + ROUTE_POLICY + "/shadow/report").then()
                .statusCode(200).extract().path("evaluated");
        return n.longValue();
    }

    private static double dropped() {
        return PolicyApiTest.metric("policy_shadow_dropped_total");
    }

    @Test
    @DisplayName("POL-8 a full shadow queue drops and counts candidate evaluations while admission keeps its live decisions without waiting")
    void fullShadowQueueDropsAndCountsWithoutDelayingAdmission() {
        for (String resource : List.of("examples/model-allowlist", "testing/model-allowlist-spin")) {
            int status = as(TENANT).contentType("application/wasm").body(PolicyApiTest.module(resource))
                    .post("/v1/policies/" + POLICY + "/versions").then().extract().statusCode();
            assertThat(status).as("upload of %s", resource).isIn(200, 201);
        }
        as(TENANT).contentType(ContentType.JSON).body(Map.of("version", "1.0.0", "hooks", List.of("admit"), "failure_mode", "fail_closed"))
                .put("/v1/policies/" + POLICY + "/binding").then().statusCode(200);
        as(TENANT).contentType(ContentType.JSON).body(Map.of("version", "3.0.0")).put("/v1/policies/" + POLICY + "/shadow").then()
                .statusCode(200);
        double droppedBefore = dropped();

        List<Long> admissionMs = new ArrayList<>();
        for (int i = 0; i < TASKS; i++) {
            Map<String, Object> body = task("dev-tiny");
            body.put("max_tokens", 1);
            long t0 = System.nanoTime();
            as(TENANT).contentType(ContentType.JSON).body(body).post("/v1/tasks").then().statusCode(202);
            admissionMs.add((System.nanoTime() - t0) / 1_000_000);
            String decision = as(TENANT).get("/v1/tasks/" + body.get("task_id")).then().statusCode(200).extract().path("policy.decision");
            assertThat(decision).as("live decision of task %d", i).isEqualTo("allow");
        }
        // The first evaluation holds the only shadow thread for the candidate's whole CPU limit: had admission waited
        // for it, the first admission would have taken at least that long.
        assertThat(admissionMs).as("admission times (ms)").allMatch(ms -> ms < SPIN_MS);

        Await.until(Duration.ofSeconds(60), () -> evaluated() + (long) (dropped() - droppedBefore) == TASKS,
                "every shadow evaluation is either recorded or counted as dropped");
        long droppedNow = (long) (dropped() - droppedBefore);
        System.out.println("PolicyShadowQueueTest: admissions " + admissionMs + " ms; " + droppedNow + " of " + TASKS
                + " shadow evaluations dropped");
        assertThat(droppedNow).as("evaluations dropped while the shadow thread spun").isPositive();
    }

    @Test
    @DisplayName("POL-8 a full shadow queue drops and counts route candidate evaluations while placement never waits for them")
    void fullShadowQueueDropsRouteEvaluationsWithoutDelayingPlacement() {
        for (String resource : List.of("examples/route-preferred-pool", "testing/route-preferred-pool-spin")) {
            int status = as(ROUTE_TENANT).contentType("application/wasm").body(PolicyApiTest.module(resource))
                    .post("/v1/policies/" + ROUTE_POLICY + "/versions").then().extract().statusCode();
            assertThat(status).as("upload of %s", resource).isIn(200, 201);
        }
        as(ROUTE_TENANT).contentType(ContentType.JSON)
                .body(Map.of("version", "1.0.0", "hooks", List.of("route"), "failure_mode", "fail_closed"))
                .put("/v1/policies/" + ROUTE_POLICY + "/binding").then().statusCode(200);
        as(ROUTE_TENANT).contentType(ContentType.JSON).body(Map.of("version", "3.0.0")).put("/v1/policies/" + ROUTE_POLICY + "/shadow")
                .then().statusCode(200);
        double droppedBefore = dropped();

        List<Long> admissionMs = new ArrayList<>();
        for (int i = 0; i < TASKS; i++) {
            Map<String, Object> body = task("dev-tiny");
            body.put("max_tokens", 1);
            long t0 = System.nanoTime();
            // 202 means the task was placed: the route decision is part of admission.
            as(ROUTE_TENANT).contentType(ContentType.JSON).body(body).post("/v1/tasks").then().statusCode(202);
            admissionMs.add((System.nanoTime() - t0) / 1_000_000);
        }
        // The first route evaluation holds the only shadow thread for the candidate's whole CPU limit.
        assertThat(admissionMs).as("admission times (ms)").allMatch(ms -> ms < SPIN_MS);

        Await.until(Duration.ofSeconds(60), () -> routeEvaluated() + (long) (dropped() - droppedBefore) == TASKS,
                "every route shadow evaluation is either recorded or counted as dropped");
        long droppedNow = (long) (dropped() - droppedBefore);
        System.out.println("PolicyShadowQueueTest (route): admissions " + admissionMs + " ms; " + droppedNow + " of " + TASKS
                + " shadow evaluations dropped");
        assertThat(droppedNow).as("route evaluations dropped while the shadow thread spun").isPositive();
    }
}
