package io.sluice.app.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.SluiceStack;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@QuarkusTest
class BackpressureTest extends ApiTest {
    private static final String TENANT = "backpressure-tenant";

    @Test
    @DisplayName("ADM-4 ADM-5 ADM-7 a full queue with policy reject answers 429 ADMISSION_REJECT with retry headers, engine and pool;"
            + " nothing is stored")
    void fullQueueRejects() throws Exception {
        List<String> admitted = new ArrayList<>();
        // one slot running plus four queue places for interactive tasks on pool-s
        for (int i = 0; i < 5; i++) {
            Map<String, Object> body = task("slow-tiny");
            body.put("max_tokens", 400);
            // 20 s each on the slow pool: a deadline they can meet queued behind one another, or admission refuses (SCH-4).
            body.put("deadline_ms", 600_000);
            admitted.add(submit(TENANT, body));
        }
        long stored = countRows("tasks");
        Map<String, Object> overflow = task("slow-tiny");
        overflow.put("deadline_ms", 600_000); // feasible behind the queue, so the full queue is what refuses it
        as(TENANT).contentType(ContentType.JSON).body(overflow).post("/v1/tasks").then()
                .statusCode(429)
                .header("Retry-After", notNullValue())
                .header("X-Backoff-Ms", notNullValue())
                .body("code", equalTo("ADMISSION_REJECT"))
                .body("policy_label", equalTo("reject"))
                .body("pool_id", equalTo("pool-s"))
                .body("engine", equalTo("llamacpp"))
                .body("stage", equalTo("enqueue"))
                .body("retriable", equalTo(true));
        assertThat(countRows("tasks")).isEqualTo(stored);
        for (String id : admitted) {
            as(TENANT).post("/v1/tasks/" + id + "/cancel").then().statusCode(204);
        }
        CancelTest.awaitSim("s0 has no active slot", () -> SluiceStack.simStats("s0").path("active").asInt() == 0);
    }

    @Test
    @DisplayName("ADM-7 ADM-8 a model whose only replica is down answers 503 POOL_UNAVAILABLE with a retry hint, engine and pool;"
            + " nothing is stored")
    void noReadyReplica() {
        long stored = countRows("tasks");
        as(TENANT).contentType(ContentType.JSON).body(task("down-tiny")).post("/v1/tasks").then()
                .statusCode(503)
                .header("Retry-After", notNullValue())
                .body("code", equalTo("POOL_UNAVAILABLE"))
                .body("retriable", equalTo(true))
                .body("engine", equalTo("llamacpp"))
                .body("pool_id", equalTo("pool-x"))
                .body("retry_after_ms", notNullValue());
        assertThat(countRows("tasks")).isEqualTo(stored);
    }
}
