package io.sluice.app.policy;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.Sse;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Tenant policy lifecycle through the API (POL-1..6): real modules built from source by policy-examples, the
 * real Chicory host, real admission. Each test uses its own tenant, since bindings apply per tenant.
 */
@QuarkusTest
class PolicyApiTest extends ApiTest {

    static byte[] module(String resource) {
        try (InputStream in = PolicyApiTest.class.getResourceAsStream("/policies/" + resource + ".wasm")) {
            assertThat(in).as("policy module %s on the test classpath", resource).isNotNull();
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(byte[] b) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private static ValidatableResponse upload(String tenant, String name, byte[] wasm) {
        return as(tenant).contentType("application/wasm").body(wasm).post("/v1/policies/" + name + "/versions").then();
    }

    /** For the one upload the contract itself forbids (a body above the documented size limit). */
    private static ValidatableResponse uploadUnchecked(String tenant, String name, byte[] wasm) {
        return given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(tenant))
                .contentType("application/wasm").body(wasm).post("/v1/policies/" + name + "/versions").then();
    }

    /** A multipart upload request: its parts are invisible to the contract filter, so the test checks them itself. */
    private static io.restassured.specification.RequestSpecification multipart(String tenant) {
        return given().filter(Contract.MULTIPART).header("Authorization", "Bearer " + tenantToken(tenant));
    }

    private static void bind(String tenant, String name, Map<String, Object> body) {
        as(tenant).contentType(ContentType.JSON).body(body).put("/v1/policies/" + name + "/binding").then().statusCode(200);
    }

    private static ValidatableResponse submitTask(String tenant, Map<String, Object> body) {
        return as(tenant).contentType(ContentType.JSON).body(body).post("/v1/tasks").then();
    }

    @Test
    @DisplayName("POL-4 an upload is validated, stored content-addressed and immutable; re-upload is idempotent")
    void uploadStoresImmutableVersions() throws Exception {
        String tenant = "pol-upload";
        byte[] wasm = module("examples/model-allowlist");
        upload(tenant, "model-allowlist", wasm).statusCode(201)
                .header("Location", containsString("/v1/policies/model-allowlist/versions/"))
                .body("name", equalTo("model-allowlist"))
                .body("digest", equalTo(sha256(wasm)))
                .body("abi_version", equalTo("1.1"))
                .body("hooks", equalTo(List.of("admit")))
                .body("size_bytes", equalTo(wasm.length));
        upload(tenant, "model-allowlist", wasm).statusCode(200).body("digest", equalTo(sha256(wasm)));
        as(tenant).get("/v1/policies/model-allowlist/versions").then().statusCode(200).body("items.size()", equalTo(1));
        as(tenant).get("/v1/policies").then().statusCode(200).body("items[0].name", equalTo("model-allowlist"))
                .body("items[0].versions_count", equalTo(1));
        // SEC-3: another tenant sees nothing of it
        as("pol-stranger").get("/v1/policies/model-allowlist").then().statusCode(404);
        as("pol-stranger").get("/v1/policies").then().statusCode(200).body("items.size()", equalTo(0));
    }

    @Test
    @DisplayName("POL-4 REL-3 POL-2 malformed and hostile modules are refused at upload with a named check; nothing is stored")
    void uploadRefusesBadModules() {
        String tenant = "pol-refuse";
        long before = countRows("policy_versions");
        long modulesBefore = countRows("policy_modules");
        upload(tenant, "junk", "not a wasm module".getBytes()).statusCode(400)
                .body("code", equalTo("INVALID_PARAMS")).body("message", startsWith("parse"));
        upload(tenant, "bad-import-host-fn", module("hostile/bad-import-host-fn")).statusCode(400)
                .body("message", startsWith("limits"));
        upload(tenant, "bad-import-wasi-fs", module("hostile/bad-import-wasi-fs")).statusCode(400);
        upload(tenant, "describe-unsupported-abi", module("hostile/describe-unsupported-abi")).statusCode(400)
                .body("message", startsWith("abi_version"));
        upload(tenant, "describe-lies", module("hostile/describe-lies")).statusCode(400);
        upload(tenant, "missing-describe", module("hostile/missing-describe")).statusCode(400);
        upload(tenant, "someone-else", module("hostile/endless-loop")).statusCode(400)
                .body("message", startsWith("name"));
        byte[] huge = new byte[4 * 1024 * 1024 + 1];
        System.arraycopy(module("examples/model-allowlist"), 0, huge, 0, 8);
        uploadUnchecked(tenant, "huge", huge).statusCode(400).body("message", startsWith("size"));
        assertThat(countRows("policy_versions")).isEqualTo(before);
        assertThat(countRows("policy_modules")).isEqualTo(modulesBefore);
    }

    @Test
    @DisplayName("POL-4 tenant fixtures run at upload: a failing fixture refuses the version, passing ones are counted")
    void fixturesAtUpload() {
        String tenant = "pol-fixtures";
        String input = """
                {"abi_version":"1.0","tenant":{"id":"pol-fixtures","tier":"gold","labels":{}},
                 "request":{"task_id":"%s","session_id":"%s","workload":"completion","model_ref":"%s","engine":null,
                  "priority":"interactive","max_tokens":16,"deadline_ms":60000,"ctx":2048,"labels":{},"prompt_chars":5},
                 "snapshot":{"time_ms":1764000000000,"quota":{"running":0,"queued":0,"max_concurrent":null,"max_queued":null,
                  "tokens_per_minute_used":0,"tokens_per_minute":null},"queues":{},"model":{"id":"%s","state":"Active"}}}""";
        String allowDev = "{\"name\":\"dev-tiny allowed\",\"hook\":\"admit\",\"input\":"
                + input.formatted(UUID.randomUUID(), UUID.randomUUID(), "dev-tiny", "dev-tiny") + ",\"expect\":{\"decision\":\"allow\"}}";
        String wrong = "{\"name\":\"expects the wrong thing\",\"hook\":\"admit\",\"input\":"
                + input.formatted(UUID.randomUUID(), UUID.randomUUID(), "dev-tiny", "dev-tiny") + ",\"expect\":{\"decision\":\"deny\"}}";
        for (String fixture : List.of(allowDev, wrong)) {
            assertThat(Contract.violations("PolicyFixture", fixture)).as("fixture part %s", fixture).isEmpty();
        }
        multipart(tenant)
                .multiPart("module", "p.wasm", module("examples/model-allowlist"), "application/wasm")
                .multiPart("fixtures", "[" + allowDev + "," + wrong + "]", "application/json")
                .post("/v1/policies/model-allowlist/versions").then()
                .statusCode(400).body("field", equalTo("fixtures[1]")).body("message", startsWith("fixtures"));
        assertThat(countRows("policy_versions where tenant_id = '" + tenant + "'")).isZero();
        multipart(tenant)
                .multiPart("module", "p.wasm", module("examples/model-allowlist"), "application/wasm")
                .multiPart("fixtures", "[" + allowDev + "]", "application/json")
                .post("/v1/policies/model-allowlist/versions").then()
                .statusCode(201).body("fixtures_passed", equalTo(1));
    }

    @Test
    @DisplayName("POL-3 POL-4 a pinned admit policy allows or denies with its name and version, and tasks record it")
    void pinnedPolicyDecides() throws Exception {
        String tenant = "pol-pinned";
        byte[] wasm = module("examples/model-allowlist");
        String version = upload(tenant, "model-allowlist", wasm).statusCode(201).extract().path("version");
        // Uploading changes nothing until the version is pinned.
        Map<String, Object> before = task("slow-tiny");
        before.put("max_tokens", 1);
        submitTask(tenant, before).statusCode(202);

        bind(tenant, "model-allowlist", Map.of("version", version, "hooks", List.of("admit"), "failure_mode", "fail_closed"));

        Map<String, Object> allowed = task("dev-tiny");
        submitTask(tenant, allowed).statusCode(202);
        as(tenant).get("/v1/tasks/" + allowed.get("task_id")).then().statusCode(200)
                .body("policy.name", equalTo("model-allowlist"))
                .body("policy.version", equalTo(version))
                .body("policy.digest", equalTo(sha256(wasm)))
                .body("policy.decision", equalTo("allow"));

        long tasksBefore = countRows("tasks");
        Map<String, Object> denied = task("slow-tiny");
        submitTask(tenant, denied).statusCode(403)
                .body("code", equalTo("POLICY_DENIED"))
                .body("stage", equalTo("policy"))
                .body("policy.name", equalTo("model-allowlist"))
                .body("policy.version", equalTo(version))
                .body("message", containsString("slow-tiny"));
        assertThat(countRows("tasks")).isEqualTo(tasksBefore);
        as(tenant).get("/v1/tasks/" + denied.get("task_id")).then().statusCode(404);
        // Another tenant is not governed by this tenant's policy.
        submitTask("pol-pinned-neighbour", task("slow-tiny")).statusCode(202);
    }

    @Test
    @DisplayName("POL-1 a modify decision tightens the task: max_tokens is capped by the tier policy")
    void modifyTightens() {
        String tenant = "pol-modify";
        String version = upload(tenant, "max-tokens-by-tier", module("examples/max-tokens-by-tier")).statusCode(201)
                .extract().path("version");
        bind(tenant, "max-tokens-by-tier", Map.of("version", version, "hooks", List.of("admit")));
        Map<String, Object> body = task("dev-tiny");
        body.put("max_tokens", 300);
        submitTask(tenant, body).statusCode(202);
        List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + body.get("task_id") + "/stream", tenantToken(tenant));
        assertThat(events.get(events.size() - 1).name()).isEqualTo("end");
        assertThat(events.stream().filter(e -> e.name().equals("token"))).hasSize(256);
        as(tenant).get("/v1/tasks/" + body.get("task_id")).then().body("policy.decision", equalTo("modify"));
    }

    @Test
    @DisplayName("POL-3 POL-5 POL-6 a spinning policy fails closed with 503 POLICY_ERROR, or open when bound fail_open")
    void failureModes() {
        String tenant = "pol-spin";
        upload(tenant, "endless-loop", module("hostile/endless-loop")).statusCode(201);
        bind(tenant, "endless-loop", Map.of("version", "1.0.0", "hooks", List.of("admit"), "failure_mode", "fail_closed"));
        double timeoutsBefore = metric("policy_errors_total{kind=\"timeout\"}");
        submitTask(tenant, task("dev-tiny")).statusCode(503)
                .header("Retry-After", org.hamcrest.Matchers.notNullValue())
                .body("code", equalTo("POLICY_ERROR"))
                .body("policy.name", equalTo("endless-loop"))
                .body("message", containsString("timeout"));
        assertThat(metric("policy_errors_total{kind=\"timeout\"}")).isGreaterThan(timeoutsBefore);

        bind(tenant, "endless-loop", Map.of("version", "1.0.0", "hooks", List.of("admit"), "failure_mode", "fail_open"));
        Map<String, Object> body = task("dev-tiny");
        submitTask(tenant, body).statusCode(202);
        as(tenant).get("/v1/tasks/" + body.get("task_id")).then().body("policy.decision", equalTo("fail_open"));
        // POL-5: the neighbour without a policy is unaffected meanwhile.
        submitTask("pol-spin-neighbour", task("dev-tiny")).statusCode(202);
    }

    @Test
    @DisplayName("POL-4 canary split is deterministic per session, and rollback is pinning the previous version")
    void canaryAndRollback() {
        String tenant = "pol-canary";
        upload(tenant, "versioned", module("testing/versioned-v1")).statusCode(201);
        upload(tenant, "versioned", module("testing/versioned-v2")).statusCode(201);
        as(tenant).get("/v1/policies/versioned/versions").then().body("items.version", equalTo(List.of("2.0.0", "1.0.0")));

        bind(tenant, "versioned", Map.of("version", "1.0.0", "hooks", List.of("admit")));
        submitTask(tenant, task("dev-tiny")).statusCode(202);

        bind(tenant, "versioned", Map.of("version", "1.0.0", "hooks", List.of("admit"),
                "canary", Map.of("version", "2.0.0", "percent", 50)));
        int denied = 0;
        int sessions = 40;
        for (int s = 0; s < sessions; s++) {
            String session = UUID.randomUUID().toString();
            int first = decide(tenant, session);
            int second = decide(tenant, session);
            assertThat(second).as("the same session always meets the same version").isEqualTo(first);
            denied += first == 403 ? 1 : 0;
        }
        assertThat(denied).as("about half of %d sessions on the canary", sessions).isBetween(8, 32);

        bind(tenant, "versioned", Map.of("version", "2.0.0", "hooks", List.of("admit")));
        as(tenant).get("/v1/policies/versioned/binding").then().body("version", equalTo("2.0.0"))
                .body("previous_version", equalTo("1.0.0"));
        submitTask(tenant, task("dev-tiny")).statusCode(403).body("policy.version", equalTo("2.0.0"));

        // Rollback: pin the previous version again.
        bind(tenant, "versioned", Map.of("version", "1.0.0", "hooks", List.of("admit")));
        submitTask(tenant, task("dev-tiny")).statusCode(202);
        as(tenant).delete("/v1/policies/versioned/binding").then().statusCode(204);
        as(tenant).get("/v1/policies/versioned/binding").then().statusCode(404);
    }

    private static int decide(String tenant, String session) {
        Map<String, Object> body = task("dev-tiny");
        body.put("session_id", session);
        body.put("max_tokens", 1);
        return given().filter(Contract.STRICT).header("Authorization", "Bearer " + tenantToken(tenant)).contentType(ContentType.JSON)
                .body(body).post("/v1/tasks").then().extract().statusCode();
    }

    @Test
    @DisplayName("POL-4 binding checks: unknown version 404, undeclared hook 400, a hook held by another policy 409")
    void bindingValidation() {
        String tenant = "pol-bindcheck";
        upload(tenant, "model-allowlist", module("examples/model-allowlist")).statusCode(201);
        upload(tenant, "versioned", module("testing/versioned-v1")).statusCode(201);
        as(tenant).contentType(ContentType.JSON).body(Map.of("version", "9.9.9", "hooks", List.of("admit")))
                .put("/v1/policies/model-allowlist/binding").then().statusCode(404).body("field", equalTo("version"));
        as(tenant).contentType(ContentType.JSON).body(Map.of("version", "1.0.0", "hooks", List.of("route")))
                .put("/v1/policies/versioned/binding").then().statusCode(400).body("field", equalTo("hooks"));
        bind(tenant, "versioned", Map.of("version", "1.0.0", "hooks", List.of("admit")));
        String allowlistVersion = as(tenant).get("/v1/policies/model-allowlist").then().extract().path("latest_version");
        as(tenant).contentType(ContentType.JSON).body(Map.of("version", allowlistVersion, "hooks", List.of("admit")))
                .put("/v1/policies/model-allowlist/binding").then().statusCode(409).body("code", equalTo("CONFLICT"));
    }

    @Test
    @DisplayName("POL-1 SCH-6 a route policy narrows placement to the tenant's preferred pool")
    void routePolicyPlaces() {
        String tenant = "pol-route";
        sql("insert into tenants (id, labels_json) values ('" + tenant + "', '{\"preferred-pool\":\"pool-b\"}')"
                + " on conflict (id) do update set labels_json = excluded.labels_json");
        String version = upload(tenant, "route-preferred-pool", module("examples/route-preferred-pool")).statusCode(201)
                .extract().path("version");
        bind(tenant, "route-preferred-pool", Map.of("version", version, "hooks", List.of("route")));
        for (int i = 0; i < 3; i++) {
            Map<String, Object> body = task("dev-tiny");
            submitTask(tenant, body).statusCode(202);
            Sse.readAll(baseUrl() + "/v1/tasks/" + body.get("task_id") + "/stream", tenantToken(tenant));
            as(tenant).get("/v1/tasks/" + body.get("task_id")).then().body("pool_id", equalTo("pool-b"))
                    .body("replica_id", equalTo("pool-b/r0"));
        }
    }

    @Test
    @DisplayName("POL-6 decisions are measured: policy_eval_seconds by hook and outcome")
    void telemetry() {
        String tenant = "pol-telemetry";
        String version = upload(tenant, "model-allowlist", module("examples/model-allowlist")).statusCode(201).extract().path("version");
        bind(tenant, "model-allowlist", Map.of("version", version, "hooks", List.of("admit")));
        double allows = metric("policy_eval_seconds_count{hook=\"admit\",outcome=\"allow\"}");
        double denies = metric("policy_eval_seconds_count{hook=\"admit\",outcome=\"deny\"}");
        submitTask(tenant, task("dev-tiny")).statusCode(202);
        submitTask(tenant, task("fault-tiny")).statusCode(403);
        assertThat(metric("policy_eval_seconds_count{hook=\"admit\",outcome=\"allow\"}")).isEqualTo(allows + 1);
        assertThat(metric("policy_eval_seconds_count{hook=\"admit\",outcome=\"deny\"}")).isEqualTo(denies + 1);
        String scrape = given().get("/q/metrics").then().extract().asString();
        assertThat(scrape).contains("policy_eval_seconds_bucket{hook=\"admit\"").contains("policy_errors_total{kind=\"memory\"}");
    }

    /** A sample's value from /q/metrics (0 when absent). */
    static double metric(String series) {
        String scrape = given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }
}
