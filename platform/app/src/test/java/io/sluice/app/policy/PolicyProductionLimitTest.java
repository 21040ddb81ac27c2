package io.sluice.app.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.app.testing.ApiTest;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Tenant policies under the production call limit. The other API tests run with a wider limit (application.properties
 * sets {@code %test.sluice.policy.call-timeout-ms}); this class restores the production 10 ms, so a well-behaved policy
 * is shown to be admitted and an endless loop to be stopped by the limit production really uses.
 */
@QuarkusTest
@TestProfile(PolicyProductionLimitTest.ProductionPolicyLimit.class)
class PolicyProductionLimitTest extends ApiTest {

    /** The production policy call limit; both keys, since a %test value in application.properties would win otherwise. */
    public static class ProductionPolicyLimit implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sluice.policy.call-timeout-ms", "10", "%test.sluice.policy.call-timeout-ms", "10");
        }
    }

    @Inject
    SluiceAppConfig config;

    private static ValidatableResponse submitTask(String tenant, Map<String, Object> body) {
        return as(tenant).contentType(ContentType.JSON).body(body).post("/v1/tasks").then();
    }

    private static String uploadAndBind(String tenant, String name, String resource, String failureMode) {
        String version = as(tenant).contentType("application/wasm").body(PolicyApiTest.module(resource))
                .post("/v1/policies/" + name + "/versions").then().statusCode(201).extract().path("version");
        bind(tenant, name, version, failureMode);
        return version;
    }

    private static void bind(String tenant, String name, String version, String failureMode) {
        as(tenant).contentType(ContentType.JSON)
                .body(Map.of("version", version, "hooks", List.of("admit"), "failure_mode", failureMode))
                .put("/v1/policies/" + name + "/binding").then().statusCode(200);
    }

    @Test
    @DisplayName("POL-2 under the production 10 ms call limit a well-behaved admit policy decides every task, allow and deny")
    void wellBehavedPolicyFitsTheProductionLimit() {
        assertThat(config.policy().callTimeoutMs()).as("the limit in force").isEqualTo(10);
        String tenant = "pol-prod-limit-good";
        String version = uploadAndBind(tenant, "model-allowlist", "examples/model-allowlist", "fail_closed");
        double timeoutsBefore = PolicyApiTest.metric("policy_errors_total{kind=\"timeout\"}");
        for (int i = 0; i < 20; i++) {
            Map<String, Object> body = task("dev-tiny");
            body.put("max_tokens", 1);
            submitTask(tenant, body).statusCode(202);
            as(tenant).get("/v1/tasks/" + body.get("task_id")).then().statusCode(200)
                    .body("policy.name", equalTo("model-allowlist"))
                    .body("policy.version", equalTo(version))
                    .body("policy.decision", equalTo("allow"));
        }
        submitTask(tenant, task("slow-tiny")).statusCode(403)
                .body("code", equalTo("POLICY_DENIED"))
                .body("policy.name", equalTo("model-allowlist"));
        assertThat(PolicyApiTest.metric("policy_errors_total{kind=\"timeout\"}"))
                .as("no call of the well-behaved policy hit the limit").isEqualTo(timeoutsBefore);
    }

    @Test
    @DisplayName("POL-2 POL-3 REL-3 under the production 10 ms call limit an endless-loop policy is stopped: 503 POLICY_ERROR, then fail_open admits")
    void endlessLoopIsStoppedByTheProductionLimit() {
        assertThat(config.policy().callTimeoutMs()).as("the limit in force").isEqualTo(10);
        String tenant = "pol-prod-limit-spin";
        String version = uploadAndBind(tenant, "endless-loop", "hostile/endless-loop", "fail_closed");
        double timeoutsBefore = PolicyApiTest.metric("policy_errors_total{kind=\"timeout\"}");
        long tasksBefore = countRows("tasks");
        for (int i = 0; i < 3; i++) {
            submitTask(tenant, task("dev-tiny")).statusCode(503)
                    .header("Retry-After", notNullValue())
                    .body("code", equalTo("POLICY_ERROR"))
                    .body("policy.name", equalTo("endless-loop"))
                    .body("message", containsString("timeout"));
        }
        assertThat(PolicyApiTest.metric("policy_errors_total{kind=\"timeout\"}")).isEqualTo(timeoutsBefore + 3);
        assertThat(countRows("tasks")).as("nothing stored for the refused tasks").isEqualTo(tasksBefore);

        bind(tenant, "endless-loop", version, "fail_open");
        Map<String, Object> body = task("dev-tiny");
        body.put("max_tokens", 1);
        submitTask(tenant, body).statusCode(202);
        as(tenant).get("/v1/tasks/" + body.get("task_id")).then().body("policy.decision", equalTo("fail_open"));
        // The neighbour without a policy is served meanwhile.
        submitTask("pol-prod-limit-neighbour", task("dev-tiny")).statusCode(202);
    }

    @Test
    @DisplayName("POL-9 POL-2 under the production 10 ms call limit a plugin growing its memory without end fails as memory, not timeout")
    void memoryBombEndsAsMemoryUnderTheProductionLimit() {
        assertThat(config.policy().callTimeoutMs()).as("the limit in force").isEqualTo(10);
        String tenant = "pol-prod-limit-memory";
        uploadAndBind(tenant, "memory-bomb-linear", "hostile/memory-bomb-linear", "fail_closed");
        double memoryBefore = PolicyApiTest.metric("policy_errors_total{kind=\"memory\"}");
        double timeoutsBefore = PolicyApiTest.metric("policy_errors_total{kind=\"timeout\"}");
        submitTask(tenant, task("dev-tiny")).statusCode(503)
                .body("code", equalTo("POLICY_ERROR"))
                .body("policy.name", equalTo("memory-bomb-linear"))
                .body("message", containsString("failed (memory)"))
                .body("message", containsString("exceeds the memory budget of 16777216 bytes"));
        assertThat(PolicyApiTest.metric("policy_errors_total{kind=\"memory\"}")).isEqualTo(memoryBefore + 1);
        assertThat(PolicyApiTest.metric("policy_errors_total{kind=\"timeout\"}")).isEqualTo(timeoutsBefore);
    }
}
