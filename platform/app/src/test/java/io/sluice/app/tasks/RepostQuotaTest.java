package io.sluice.app.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.core.quota.QuotaBook;
import io.sluice.core.scheduling.TaskScheduler;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A re-post of a task this instance no longer holds in memory (it ended and its retention passed, or another instance
 * admitted it) runs admission again before the database says the id is taken. The stored answer is returned, and that
 * second admission must not spend the tenant's quota. The retention is cut to 300 ms here so that a task leaves
 * memory within the test.
 */
@QuarkusTest
@TestProfile(RepostQuotaTest.ShortRetention.class)
class RepostQuotaTest extends ApiTest {
    /** Prompt "Hello, Sluice" plus 16 tokens: two such tasks fit 40 tokens a minute, three do not. */
    private static final int TOKENS_PER_MINUTE = 40;

    public static class ShortRetention implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sluice.tasks.retention-ms", "300");
        }
    }

    @Inject
    TaskScheduler scheduler;

    @Inject
    QuotaBook quotas;

    @Test
    @DisplayName("SCH-3 ADM-1 re-posting a task that left memory answers the stored acceptance and charges none of the quota")
    void repostOfATaskThatLeftMemoryChargesNothing() {
        Await.until(Duration.ofSeconds(30), () -> quotas.instances() == 1, "this is the only live instance");
        String tenant = "repost-" + UUID.randomUUID().toString().substring(0, 8);
        asAdmin().contentType(ContentType.JSON).body(Map.of("display_name", "re-post", "weight", 1.0))
                .put("/v1/tenants/" + tenant).then().statusCode(201);
        asAdmin().contentType(ContentType.JSON).body(Map.of("tokens_per_minute", TOKENS_PER_MINUTE))
                .put("/v1/tenants/" + tenant + "/quotas").then().statusCode(200);
        Await.until(Duration.ofSeconds(10), () -> quotas.limits(tenant).tokensPerMinute() != null, "the quota is in force");

        Map<String, Object> body = task("dev-tiny");
        Response first = as(tenant).contentType(ContentType.JSON).body(body).post("/v1/tasks");
        first.then().statusCode(202);
        UUID id = UUID.fromString((String) body.get("task_id"));
        Await.until(Duration.ofSeconds(60),
                () -> "succeeded".equals(as(tenant).get("/v1/tasks/" + id).then().statusCode(200).extract().path("state")),
                "the first task succeeded");
        Await.until(Duration.ofSeconds(30), () -> scheduler.runs().find(id).isEmpty(), "the ended task left this instance's memory");

        Response again = as(tenant).contentType(ContentType.JSON).body(body).post("/v1/tasks");
        again.then().statusCode(202);
        assertThat(again.jsonPath().getMap("")).as("the stored acceptance").isEqualTo(first.jsonPath().getMap(""));
        assertThat(countRows("tasks where id = '" + id + "'")).isEqualTo(1);

        as(tenant).contentType(ContentType.JSON).body(task("dev-tiny")).post("/v1/tasks").then()
                .statusCode(202);
        as(tenant).contentType(ContentType.JSON).body(task("dev-tiny")).post("/v1/tasks").then()
                .statusCode(429).body("code", equalTo("QUOTA_EXCEEDED")).body("stage", equalTo("quota"));
        assertThat(countRows("tasks where tenant_id = '" + tenant + "'")).as("the first task and one more").isEqualTo(2);
    }
}
