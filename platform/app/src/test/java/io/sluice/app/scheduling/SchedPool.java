package io.sluice.app.scheduling;

import static io.restassured.RestAssured.given;

import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.SluiceStack;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The scheduling tests' pool, pool-d ({@code sched-tiny}): one slot at 50 tokens/s, two queue places per priority,
 * full policy {@code reject}. Helpers submit through the API, as tenants made unique per test.
 */
final class SchedPool extends ApiTest {
    static final String MODEL = "sched-tiny";

    private SchedPool() {}

    static String tenant(String name) {
        return "sched-" + name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static Map<String, Object> task(String priority, int maxTokens, long deadlineMs) {
        Map<String, Object> b = ApiTest.task(MODEL);
        b.put("priority", priority);
        b.put("max_tokens", maxTokens);
        b.put("deadline_ms", deadlineMs);
        return b;
    }

    static String state(String tenant, String id) {
        return given().filter(Contract.STRICT).header("Authorization", "Bearer " + tenantToken(tenant))
                .get("/v1/tasks/" + id).then().statusCode(200).extract().path("state");
    }

    static void awaitState(String tenant, String id, String... states) {
        Await.until(Duration.ofSeconds(60), () -> List.of(states).contains(state(tenant, id)), "task " + id + " is " + List.of(states));
    }

    /** Runs short tasks to completion so that the pool has measured its service rate (SCH-4). */
    static void measured(String tenant) {
        for (int i = 0; i < 3; i++) {
            String id = submit(tenant, task("interactive", 10, 60_000));
            awaitState(tenant, id, "succeeded");
        }
    }

    static void cancel(String tenant, String id) {
        given().filter(Contract.STRICT).header("Authorization", "Bearer " + tenantToken(tenant)).post("/v1/tasks/" + id + "/cancel")
                .then().statusCode(204);
    }

    /** A sample's value from the Prometheus scrape, or null when the series is absent. */
    static Double metric(String series) {
        String scrape = given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return null;
    }

    static void awaitIdle() {
        Await.until(Duration.ofSeconds(30), () -> SluiceStack.simStats("d0").path("active").asInt() == 0, "d0 has no active slot");
    }
}
