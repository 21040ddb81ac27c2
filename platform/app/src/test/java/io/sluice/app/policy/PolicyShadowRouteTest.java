package io.sluice.app.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Sse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Shadow mode and replay of the {@code route} hook through the API (POL-8, ADR 0036): route-preferred-pool 1.0.0
 * (the example, built from source) bound to route with the tenant's preferred pool pool-a; as candidates
 * testing/route-preferred-pool-reversed 2.0.0 (ranks the preferred pool last), -spin 3.0.0 and -trap 4.0.0. dev-tiny
 * is served by pool-a (r0, r1) and pool-b (r0), slow-tiny by pool-s alone, so the candidate disagrees exactly on the
 * dev-tiny tasks. Each test uses its own tenant.
 */
@QuarkusTest
class PolicyShadowRouteTest extends ApiTest {
    private static final String POLICY = "route-preferred-pool";
    private static final Duration RECORDED = Duration.ofSeconds(30);
    private static final String LIVE_ORDER = "pool-a>pool-b";

    /** Another class may have just drained and restored pool-b: the expected orders need every dev-tiny replica Ready. */
    @BeforeEach
    void devTinyPoolsReady() {
        Await.until(Duration.ofSeconds(30), () -> replicasReady("pool-a") == 2 && replicasReady("pool-b") == 1,
                "pool-a and pool-b have every replica Ready");
    }

    private static int replicasReady(String pool) {
        return asAdmin().get("/v1/pools/" + pool).then().statusCode(200).extract().path("replicas_ready");
    }

    /** The tenant preferring pool-a, with route-preferred-pool 1.0.0 bound to route and the given candidates stored. */
    private static void boundWithCandidates(String tenant, String... candidates) {
        sql("insert into tenants (id, labels_json) values ('" + tenant + "', '{\"preferred-pool\":\"pool-a\"}')"
                + " on conflict (id) do update set labels_json = excluded.labels_json");
        upload(tenant, "examples/route-preferred-pool");
        for (String c : candidates) {
            upload(tenant, "testing/" + c);
        }
        as(tenant).contentType(ContentType.JSON).body(Map.of("version", "1.0.0", "hooks", List.of("route"), "failure_mode", "fail_closed"))
                .put("/v1/policies/" + POLICY + "/binding").then().statusCode(200);
    }

    private static void upload(String tenant, String resource) {
        int status = as(tenant).contentType("application/wasm").body(PolicyApiTest.module(resource))
                .post("/v1/policies/" + POLICY + "/versions").then().extract().statusCode();
        assertThat(status).as("upload of %s", resource).isIn(200, 201);
    }

    private static ValidatableResponse putShadow(String tenant, String version) {
        return as(tenant).contentType(ContentType.JSON).body(Map.of("version", version)).put("/v1/policies/" + POLICY + "/shadow").then();
    }

    private static ValidatableResponse routeReport(String tenant) {
        return as(tenant).queryParam("hook", "route").get("/v1/policies/" + POLICY + "/shadow/report").then().statusCode(200);
    }

    private static ValidatableResponse replay(String tenant, Map<String, Object> body) {
        return as(tenant).contentType(ContentType.JSON).body(body).post("/v1/policies/" + POLICY + "/replays").then();
    }

    private static long evaluated(ValidatableResponse report) {
        return ((Number) report.extract().path("evaluated")).longValue();
    }

    private static List<Map<String, Object>> pairs(ValidatableResponse report) {
        return report.extract().path("pairs");
    }

    private static Map<String, Object> pair(String active, String shadow, int count) {
        return Map.of("active", active, "shadow", shadow, "count", count);
    }

    /** Submits a task, follows it to its end and returns the pool it was placed on. */
    private static String placedPool(String tenant, String model) {
        Map<String, Object> body = task(model);
        body.put("max_tokens", 1);
        submit(tenant, body);
        Sse.readAll(baseUrl() + "/v1/tasks/" + body.get("task_id") + "/stream", tenantToken(tenant));
        return as(tenant).get("/v1/tasks/" + body.get("task_id")).then().statusCode(200).extract().path("pool_id");
    }

    @Test
    @DisplayName("POL-8 a route candidate ranking pools differently shows exactly the expected disagreements, in shadow and in replay, without prompt text")
    void routeCandidateShowsExpectedDisagreements() {
        String tenant = "pol8-route-diff";
        boundWithCandidates(tenant, "route-preferred-pool-reversed");
        putShadow(tenant, "2.0.0").statusCode(200).body("version", equalTo("2.0.0")).body("active_version", equalTo("1.0.0"))
                .body("hooks", equalTo(List.of("route")));

        List<String> live = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            live.add(placedPool(tenant, "dev-tiny"));
        }
        // The candidate would prefer pool-b, but the live placement is the bound version's.
        assertThat(live).containsOnly("pool-a");
        Map<String, Object> single = task("slow-tiny");
        single.put("max_tokens", 1);
        submit(tenant, single);

        Await.until(RECORDED, () -> evaluated(routeReport(tenant)) == 4, "four route shadow pairs are recorded");
        List<Map<String, Object>> expected = List.of(pair(LIVE_ORDER, "pool-b>pool-a", 3), pair("pool-s", "pool-s", 1));
        ValidatableResponse shadow = routeReport(tenant).body("source", equalTo("shadow")).body("hook", equalTo("route"))
                .body("disagreements", equalTo(3)).body("errors.count", equalTo(0));
        assertThat(pairs(shadow)).containsExactlyElementsOf(expected);
        assertDisagreementSamples(shadow);
        // Without `hook` the report is on the only hook this shadow compares; admit is not one of them.
        as(tenant).get("/v1/policies/" + POLICY + "/shadow/report").then().statusCode(200).body("hook", equalTo("route"))
                .body("evaluated", equalTo(4));
        as(tenant).queryParam("hook", "admit").get("/v1/policies/" + POLICY + "/shadow/report").then().statusCode(400)
                .body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("hook"));

        Map<String, Object> replayRoute = Map.of("version", "2.0.0", "hours", 1, "hook", "route");
        Await.until(RECORDED, () -> evaluated(replay(tenant, replayRoute).statusCode(200)) == 4, "four route decisions are recorded for replay");
        ValidatableResponse replayed = replay(tenant, replayRoute).statusCode(200).body("source", equalTo("replay"))
                .body("hook", equalTo("route")).body("candidate_version", equalTo("2.0.0")).body("disagreements", equalTo(3))
                .body("errors.count", equalTo(0));
        assertThat(pairs(replayed)).containsExactlyElementsOf(expected);
        assertDisagreementSamples(replayed);
        // A route-only version replays route without being told; replaying the bound version agrees everywhere.
        replay(tenant, Map.of("version", "2.0.0", "hours", 1)).statusCode(200).body("hook", equalTo("route")).body("disagreements", equalTo(3));
        ValidatableResponse same = replay(tenant, Map.of("version", "1.0.0", "hours", 1, "hook", "route")).statusCode(200)
                .body("disagreements", equalTo(0));
        assertThat(pairs(same)).containsExactly(pair(LIVE_ORDER, LIVE_ORDER, 3), pair("pool-s", "pool-s", 1));
        // No admit decision was recorded for a route-only policy, and a route-only version cannot replay admit.
        replay(tenant, Map.of("version", "2.0.0", "hours", 1, "hook", "admit")).statusCode(400).body("field", equalTo("version"));
    }

    private static void assertDisagreementSamples(ValidatableResponse report) {
        List<Map<String, Object>> samples = report.extract().path("samples");
        assertThat(samples).hasSize(3).allSatisfy(s -> {
            assertThat(s).containsEntry("active", LIVE_ORDER).containsEntry("shadow", "pool-b>pool-a");
            @SuppressWarnings("unchecked")
            Map<String, Object> input = (Map<String, Object>) s.get("input");
            @SuppressWarnings("unchecked")
            Map<String, Object> request = (Map<String, Object>) ((Map<String, Object>) input.get("admit")).get("request");
            assertThat(request).containsEntry("model_ref", "dev-tiny").containsEntry("prompt_chars", "Hello, Sluice".length())
                    .doesNotContainKey("prompt");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> candidates = (List<Map<String, Object>>) input.get("candidates");
            assertThat(candidates).extracting(c -> c.get("pool_id")).containsExactlyInAnyOrder("pool-a", "pool-a", "pool-b");
        });
        // SEC-4: no prompt text anywhere in the report.
        assertThat(report.extract().asString()).doesNotContain("Hello, Sluice");
    }

    @Test
    @DisplayName("POL-8 a spinning or failing route candidate in shadow never changes a live placement")
    void hostileRouteCandidateNeverChangesLivePlacement() {
        String tenant = "pol8-route-hostile";
        boundWithCandidates(tenant, "route-preferred-pool-spin", "route-preferred-pool-trap");
        putShadow(tenant, "3.0.0").statusCode(200).body("hooks", equalTo(List.of("route")));
        List<String> live = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            live.add(placedPool(tenant, "dev-tiny"));
        }
        assertThat(live).containsExactly("pool-a", "pool-a", "pool-a", "pool-a");
        Await.until(RECORDED, () -> evaluated(routeReport(tenant)) == 4, "four spinning route evaluations are recorded");
        ValidatableResponse spin = routeReport(tenant).body("errors.count", equalTo(4));
        assertThat(pairs(spin)).containsExactly(pair(LIVE_ORDER, "error", 4));
        Map<String, Integer> kinds = spin.extract().path("errors.by_kind");
        // The host stops a spinning guest at its CPU limit, then quarantines the pair and refuses at once.
        assertThat(kinds.keySet()).isSubsetOf("timeout", "rejected").contains("timeout");

        putShadow(tenant, "4.0.0").statusCode(200).body("version", equalTo("4.0.0"));
        for (int i = 0; i < 3; i++) {
            assertThat(placedPool(tenant, "dev-tiny")).isEqualTo("pool-a");
        }
        Await.until(RECORDED, () -> evaluated(routeReport(tenant)) == 3, "three trapping route evaluations are recorded");
        routeReport(tenant).body("candidate_version", equalTo("4.0.0")).body("errors.by_kind.trap", equalTo(3))
                .body("pairs", equalTo(List.of(pair(LIVE_ORDER, "error", 3))));
        // A failing candidate replayed fails the same way, and the replay changes nothing either.
        ValidatableResponse replayed = replay(tenant, Map.of("version", "4.0.0", "hours", 1, "hook", "route")).statusCode(200)
                .body("errors.by_kind.trap", equalTo(7));
        assertThat(pairs(replayed)).containsExactly(pair(LIVE_ORDER, "error", 7));
        assertThat(placedPool(tenant, "dev-tiny")).isEqualTo("pool-a");
    }

    @Test
    @DisplayName("POL-8 a route shadow needs the policy bound and another version; its hooks are those bound and implemented")
    void routeShadowChecks() {
        String tenant = "pol8-route-bad";
        upload(tenant, "examples/route-preferred-pool");
        upload(tenant, "testing/route-preferred-pool-reversed");
        putShadow(tenant, "2.0.0").statusCode(409).body("code", equalTo("CONFLICT"));
        as(tenant).contentType(ContentType.JSON).body(Map.of("version", "1.0.0", "hooks", List.of("route")))
                .put("/v1/policies/" + POLICY + "/binding").then().statusCode(200);
        putShadow(tenant, "1.0.0").statusCode(400).body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("version"));
        putShadow(tenant, "2.0.0").statusCode(200).body("hooks", equalTo(List.of("route")));
        as(tenant).get("/v1/policies/" + POLICY + "/shadow").then().statusCode(200).body("hooks", equalTo(List.of("route")));
        replay(tenant, Map.of("version", "2.0.0", "hours", 1, "hook", "route")).statusCode(200).body("evaluated", equalTo(0))
                .body("hook", equalTo("route")).body("pairs", equalTo(List.of()));
    }
}
