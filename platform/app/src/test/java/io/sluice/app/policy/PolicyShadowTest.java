package io.sluice.app.policy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Contract;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Policy shadow mode and replay through the API (POL-8): real modules built from source by policy-examples
 * (model-allowlist 1.0.0 bound; testing/model-allowlist-tight 2.0.0, -spin 3.0.0 and -trap 4.0.0 as candidates),
 * the real Chicory host, real admission, decision records written to the embedded PostgreSQL. Each test uses its own
 * tenant.
 */
@QuarkusTest
class PolicyShadowTest extends ApiTest {
    private static final String POLICY = "model-allowlist";
    private static final Duration RECORDED = Duration.ofSeconds(30);

    private static void upload(String tenant, String resource) {
        int status = as(tenant).contentType("application/wasm").body(PolicyApiTest.module(resource))
                .post("/v1/policies/" + POLICY + "/versions").then().extract().statusCode();
        assertThat(status).as("upload of %s", resource).isIn(200, 201);
    }

    /** The tenant with model-allowlist 1.0.0 bound to admit and the given candidates stored. */
    private static void boundWithCandidates(String tenant, String failureMode, String... candidates) {
        upload(tenant, "examples/model-allowlist");
        for (String c : candidates) {
            upload(tenant, "testing/" + c);
        }
        as(tenant).contentType(ContentType.JSON).body(Map.of("version", "1.0.0", "hooks", List.of("admit"), "failure_mode", failureMode))
                .put("/v1/policies/" + POLICY + "/binding").then().statusCode(200);
    }

    private static ValidatableResponse putShadow(String tenant, String version) {
        return as(tenant).contentType(ContentType.JSON).body(Map.of("version", version)).put("/v1/policies/" + POLICY + "/shadow").then();
    }

    private static ValidatableResponse replay(String tenant, String version, int hours) {
        return as(tenant).contentType(ContentType.JSON).body(Map.of("version", version, "hours", hours))
                .post("/v1/policies/" + POLICY + "/replays").then();
    }

    private static ValidatableResponse shadowReport(String tenant) {
        return as(tenant).get("/v1/policies/" + POLICY + "/shadow/report").then().statusCode(200);
    }

    private static long evaluated(ValidatableResponse report) {
        return ((Number) report.extract().path("evaluated")).longValue();
    }

    /** Submits a task and returns the live decision admission recorded on it, or the refusal's code. */
    private static String submitAndDecision(String tenant, String model, int maxTokens) {
        Map<String, Object> body = task(model);
        body.put("max_tokens", maxTokens);
        var answer = as(tenant).contentType(ContentType.JSON).body(body).post("/v1/tasks").then().extract();
        if (answer.statusCode() != 202) {
            return answer.path("code");
        }
        return as(tenant).get("/v1/tasks/" + body.get("task_id")).then().statusCode(200).extract().path("policy.decision");
    }

    private static List<Map<String, Object>> pairs(ValidatableResponse report) {
        return report.extract().path("pairs");
    }

    private static Map<String, Object> pair(String active, String shadow, int count) {
        return Map.of("active", active, "shadow", shadow, "count", count);
    }

    @Test
    @DisplayName("POL-8 a candidate tightening one rule shows exactly the expected disagreements, in shadow and in replay, without prompt text")
    void tighteningCandidateShowsExpectedDisagreements() {
        String tenant = "pol8-diff";
        boundWithCandidates(tenant, "fail_closed", "model-allowlist-tight");
        putShadow(tenant, "2.0.0").statusCode(200).body("version", equalTo("2.0.0")).body("active_version", equalTo("1.0.0"))
                .body("hooks", equalTo(List.of("admit")));
        as(tenant).get("/v1/policies/" + POLICY + "/shadow").then().statusCode(200).body("version", equalTo("2.0.0"));

        List<String> live = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            live.add(submitAndDecision(tenant, "dev-tiny", 16));
        }
        for (int i = 0; i < 2; i++) {
            live.add(submitAndDecision(tenant, "dev-tiny", 128));
        }
        live.add(submitAndDecision(tenant, "slow-tiny", 16));
        // The candidate would deny max_tokens 128, but the live decisions are the bound version's.
        assertThat(live).containsExactly("allow", "allow", "allow", "allow", "allow", "POLICY_DENIED");

        Await.until(RECORDED, () -> evaluated(shadowReport(tenant)) == 6, "six shadow pairs are recorded");
        List<Map<String, Object>> expected = List.of(pair("allow", "allow", 3), pair("allow", "deny", 2), pair("deny", "deny", 1));
        // Without `hook` (as clients wrote it before route was shadowed) the report is on admit.
        ValidatableResponse shadow = shadowReport(tenant).body("source", equalTo("shadow")).body("hook", equalTo("admit"))
                .body("disagreements", equalTo(2))
                .body("errors.count", equalTo(0)).body("latency.p50_us", org.hamcrest.Matchers.notNullValue());
        assertThat(pairs(shadow)).containsExactlyElementsOf(expected);
        assertDisagreementSamples(shadow);

        Await.until(RECORDED, () -> evaluated(replay(tenant, "2.0.0", 1).statusCode(200)) == 6, "six decisions are recorded for replay");
        ValidatableResponse replayed = replay(tenant, "2.0.0", 1).statusCode(200).body("source", equalTo("replay"))
                .body("candidate_version", equalTo("2.0.0")).body("disagreements", equalTo(2)).body("errors.count", equalTo(0));
        assertThat(pairs(replayed)).containsExactlyElementsOf(expected);
        assertDisagreementSamples(replayed);
        // Replaying the bound version itself agrees everywhere.
        ValidatableResponse same = replay(tenant, "1.0.0", 1).statusCode(200).body("disagreements", equalTo(0));
        assertThat(pairs(same)).containsExactly(pair("allow", "allow", 5), pair("deny", "deny", 1));
    }

    private static void assertDisagreementSamples(ValidatableResponse report) {
        List<Map<String, Object>> samples = report.extract().path("samples");
        assertThat(samples).hasSize(2).allSatisfy(s -> {
            assertThat(s).containsEntry("active", "allow").containsEntry("shadow", "deny");
            @SuppressWarnings("unchecked")
            Map<String, Object> request = (Map<String, Object>) ((Map<String, Object>) s.get("input")).get("request");
            assertThat(request).containsEntry("max_tokens", 128).containsEntry("model_ref", "dev-tiny")
                    .containsEntry("prompt_chars", "Hello, Sluice".length()).doesNotContainKey("prompt");
        });
        // SEC-4: no prompt text anywhere in the report.
        assertThat(report.extract().asString()).doesNotContain("Hello, Sluice");
    }

    @Test
    @DisplayName("POL-8 a spinning or failing shadow candidate never changes a live decision and admission goes on")
    void hostileCandidateNeverChangesLiveDecisions() {
        String tenant = "pol8-hostile";
        boundWithCandidates(tenant, "fail_closed", "model-allowlist-spin", "model-allowlist-trap");
        putShadow(tenant, "3.0.0").statusCode(200);
        List<String> live = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            live.add(submitAndDecision(tenant, "dev-tiny", 16));
        }
        live.add(submitAndDecision(tenant, "slow-tiny", 16));
        assertThat(live).containsExactly("allow", "allow", "allow", "allow", "allow", "allow", "allow", "allow", "POLICY_DENIED");
        Await.until(RECORDED, () -> evaluated(shadowReport(tenant)) == 9, "nine spinning shadow evaluations are recorded");
        ValidatableResponse spin = shadowReport(tenant).body("errors.count", equalTo(9));
        assertThat(pairs(spin)).containsExactly(pair("allow", "error", 8), pair("deny", "error", 1));
        Map<String, Integer> kinds = spin.extract().path("errors.by_kind");
        // The host stops a spinning guest at its CPU limit, then quarantines the pair and refuses at once.
        assertThat(kinds.keySet()).isSubsetOf("timeout", "rejected").contains("timeout");

        putShadow(tenant, "4.0.0").statusCode(200).body("version", equalTo("4.0.0"));
        for (int i = 0; i < 4; i++) {
            assertThat(submitAndDecision(tenant, "dev-tiny", 16)).isEqualTo("allow");
        }
        Await.until(RECORDED, () -> evaluated(shadowReport(tenant)) == 4, "four trapping shadow evaluations are recorded");
        shadowReport(tenant).body("candidate_version", equalTo("4.0.0")).body("errors.by_kind.trap", equalTo(4))
                .body("pairs", equalTo(List.of(pair("allow", "error", 4))));

        as(tenant).delete("/v1/policies/" + POLICY + "/shadow").then().statusCode(204);
        as(tenant).get("/v1/policies/" + POLICY + "/shadow").then().statusCode(404);
    }

    @Test
    @DisplayName("POL-8 when the tenant requires it, pinning another version needs a recent shadow or replay report")
    void pinRequiresRecentReport() {
        String tenant = "pol8-pin";
        boundWithCandidates(tenant, "fail_closed", "model-allowlist-tight");
        as(tenant).get("/v1/policy-settings").then().statusCode(200).body("$", equalTo(Map.of()));
        as(tenant).contentType(ContentType.JSON).body(Map.of("pin_requires_report_within_s", 3600)).put("/v1/policy-settings")
                .then().statusCode(200).body("pin_requires_report_within_s", equalTo(3600));
        Map<String, Object> pinTight = Map.of("version", "2.0.0", "hooks", List.of("admit"));
        as(tenant).contentType(ContentType.JSON).body(pinTight).put("/v1/policies/" + POLICY + "/binding").then()
                .statusCode(409).body("code", equalTo("CONFLICT")).body("field", equalTo("report"))
                .body("message", containsString("there is none"));
        // Pinning the version in force again needs nothing.
        as(tenant).contentType(ContentType.JSON).body(Map.of("version", "1.0.0", "hooks", List.of("admit")))
                .put("/v1/policies/" + POLICY + "/binding").then().statusCode(200);

        assertThat(submitAndDecision(tenant, "dev-tiny", 16)).isEqualTo("allow");
        Await.until(RECORDED, () -> evaluated(replay(tenant, "2.0.0", 1).statusCode(200)) == 1, "the decision is recorded and replayed");
        sql("update policy_reports set generated_at = now() - interval '2 hours' where tenant_id = '" + tenant + "'");
        as(tenant).contentType(ContentType.JSON).body(pinTight).put("/v1/policies/" + POLICY + "/binding").then()
                .statusCode(409).body("field", equalTo("report")).body("message", containsString("s old"));
        replay(tenant, "2.0.0", 1).statusCode(200).body("evaluated", equalTo(1));
        as(tenant).contentType(ContentType.JSON).body(pinTight).put("/v1/policies/" + POLICY + "/binding").then()
                .statusCode(200).body("version", equalTo("2.0.0"));

        as(tenant).contentType(ContentType.JSON).body(Map.of()).put("/v1/policy-settings").then().statusCode(200).body("$", equalTo(Map.of()));
        as(tenant).contentType(ContentType.JSON).body(Map.of("version", "1.0.0", "hooks", List.of("admit")))
                .put("/v1/policies/" + POLICY + "/binding").then().statusCode(200);
    }

    @Test
    @DisplayName("POL-8 bad shadow and replay requests answer typed errors: unknown version, shadow = bound, hours out of range, others' policies")
    void badRequestsAnswerTypedErrors() {
        String tenant = "pol8-bad";
        upload(tenant, "examples/model-allowlist");
        upload(tenant, "testing/model-allowlist-tight");
        putShadow(tenant, "2.0.0").statusCode(409).body("code", equalTo("CONFLICT"));
        as(tenant).contentType(ContentType.JSON).body(Map.of("version", "1.0.0", "hooks", List.of("admit")))
                .put("/v1/policies/" + POLICY + "/binding").then().statusCode(200);

        putShadow(tenant, "9.9.9").statusCode(404).body("code", equalTo("NOT_FOUND")).body("field", equalTo("version"));
        putShadow(tenant, "1.0.0").statusCode(400).body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("version"));
        as(tenant).get("/v1/policies/" + POLICY + "/shadow").then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        as(tenant).get("/v1/policies/" + POLICY + "/shadow/report").then().statusCode(404);
        as(tenant).delete("/v1/policies/" + POLICY + "/shadow").then().statusCode(404);

        replay(tenant, "2.0.0", 0).statusCode(400).body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("hours"));
        replay(tenant, "2.0.0", 169).statusCode(400).body("field", equalTo("hours"));
        replay(tenant, "9.9.9", 1).statusCode(404).body("field", equalTo("version"));
        replay(tenant, "2.0.0", 1).statusCode(200).body("evaluated", equalTo(0)).body("pairs", equalTo(List.of()));

        // SEC-3: another tenant's policy does not exist for the caller.
        putShadow(tenant, "2.0.0").statusCode(200);
        String stranger = "pol8-bad-stranger";
        putShadow(stranger, "2.0.0").statusCode(404);
        as(stranger).get("/v1/policies/" + POLICY + "/shadow").then().statusCode(404);
        as(stranger).get("/v1/policies/" + POLICY + "/shadow/report").then().statusCode(404);
        replay(stranger, "2.0.0", 1).statusCode(404);
        // The admin role has no tenant resources.
        asAdmin().get("/v1/policies/" + POLICY + "/shadow").then().statusCode(403);
        given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(tenant)).contentType(ContentType.JSON)
                .body(Map.of("pin_requires_report_within_s", 0)).put("/v1/policy-settings").then()
                .statusCode(400).body("field", equalTo("pin_requires_report_within_s"));
    }
}
