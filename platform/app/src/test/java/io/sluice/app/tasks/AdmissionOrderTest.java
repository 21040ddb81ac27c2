package io.sluice.app.tasks;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Contract;
import io.sluice.core.quota.QuotaBook;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The admission order of SPEC ADM-2, observed through the product: authenticate → validate → resolve_model → policy →
 * quota → deadline → enqueue. Each test makes one stage fail with a request that later stages would also refuse, and
 * checks that the answer names the failing stage and that no later stage ran: the tenant's {@code admit} policy
 * (the shipped {@code model-allowlist} example, which allows only {@code dev-tiny}) was not called (its calls are
 * counted in {@code policy_eval_seconds}), its tokens-per-minute quota was not charged, no task was stored and none
 * was queued.
 */
@QuarkusTest
class AdmissionOrderTest extends ApiTest {
    /** One task of this size fits the tenants' quota of {@link #TOKENS_PER_MINUTE}; two do not. */
    private static final int MAX_TOKENS = 600;

    private static final int TOKENS_PER_MINUTE = 1000;

    /** The models the tenants' model-allowlist policy allows; it denies every other, slow-tiny among them. */
    private static final Map<String, String> ALLOWED = Map.of("allowed-models", "dev-tiny,sched-tiny");

    /**
     * The pool whose deadline check the tests rely on: sched-tiny's only pool (50 tokens/s) refuses a deadline it cannot
     * meet once it has measured its service (SCH-4); {@link #measured()} makes sure it has.
     */
    private static final String DEADLINE_MODEL = "sched-tiny";

    private static boolean measured;

    @Inject
    QuotaBook quotas;

    @BeforeEach
    void aloneOnTheDatabase() {
        // Quotas are split between live instances; other test classes register instances of their own.
        Await.until(Duration.ofSeconds(30), () -> quotas.instances() == 1, "this is the only live instance");
        measured();
    }

    /** Runs short tasks on the deadline pool to their end, so that it measured its service and checks deadlines. */
    private static synchronized void measured() {
        if (measured) {
            return;
        }
        String tenant = "adm2-measure";
        for (int i = 0; i < 3; i++) {
            Map<String, Object> body = task(DEADLINE_MODEL);
            body.put("max_tokens", 10);
            String id = submit(tenant, body);
            Await.until(Duration.ofSeconds(60),
                    () -> "succeeded".equals(as(tenant).get("/v1/tasks/" + id).then().statusCode(200).extract().path("state")),
                    "measuring task " + id + " succeeded");
        }
        measured = true;
    }

    /** A registered tenant with the model-allowlist admit policy bound and a quota that fits one task a minute. */
    private static String governedTenant(String name) {
        String tenant = "adm2-" + name + "-" + UUID.randomUUID().toString().substring(0, 8);
        asAdmin().contentType(ContentType.JSON)
                .body(Map.of("display_name", "ADM-2 order", "weight", 1.0, "tier", "gold", "labels", ALLOWED))
                .put("/v1/tenants/" + tenant).then().statusCode(201);
        asAdmin().contentType(ContentType.JSON).body(Map.of("tokens_per_minute", TOKENS_PER_MINUTE))
                .put("/v1/tenants/" + tenant + "/quotas").then().statusCode(200);
        String version = as(tenant).contentType("application/wasm").body(module("examples/model-allowlist"))
                .post("/v1/policies/model-allowlist/versions").then().statusCode(201).extract().path("version");
        as(tenant).contentType(ContentType.JSON)
                .body(Map.of("version", version, "hooks", List.of("admit"), "failure_mode", "fail_closed"))
                .put("/v1/policies/model-allowlist/binding").then().statusCode(200);
        return tenant;
    }

    private static byte[] module(String resource) {
        try (InputStream in = AdmissionOrderTest.class.getResourceAsStream("/policies/" + resource + ".wasm")) {
            assertThat(in).as("policy module %s on the test classpath", resource).isNotNull();
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A task the quota admits once a minute; the policy allows it. */
    private static Map<String, Object> allowedTask() {
        Map<String, Object> body = task("dev-tiny");
        body.put("max_tokens", MAX_TOKENS);
        return body;
    }

    /** A task every stage from resolve_model on would refuse: the policy denies it and its deadline cannot be met. */
    private static Map<String, Object> refusedByEveryLaterStage(String model) {
        Map<String, Object> body = task(model);
        body.put("max_tokens", MAX_TOKENS);
        body.put("deadline_ms", 1);
        return body;
    }

    private static ValidatableResponse post(String tenant, Map<String, Object> body) {
        return as(tenant).contentType(ContentType.JSON).body(body).post("/v1/tasks").then();
    }

    /** For bodies the contract itself forbids; the answer is still validated. */
    private static ValidatableResponse postBadBody(String tenant, Map<String, Object> body) {
        return given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(tenant))
                .contentType(ContentType.JSON).body(body).post("/v1/tasks").then();
    }

    /** Calls of every tenant's admit hooks so far, whatever their outcome. */
    private static double admitPolicyCalls() {
        String scrape = given().get("/q/metrics").then().statusCode(200).extract().asString();
        double calls = 0;
        for (String line : scrape.split("\n")) {
            if (line.startsWith("policy_eval_seconds_count{") && line.contains("hook=\"admit\"")) {
                calls += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim());
            }
        }
        return calls;
    }

    private static long storedTasks(String tenant) {
        return countRows("tasks where tenant_id = '" + tenant + "'");
    }

    private static int listedTasks(String tenant) {
        return as(tenant).get("/v1/tasks").then().statusCode(200).extract().path("items.size()");
    }

    /**
     * The quota still holds a whole task's tokens: nothing before charged it. Uses up the quota; the admitted task is
     * cancelled at once (its tokens stay charged), so that its 600 tokens do not keep dev-tiny's pool busy for the
     * test classes after this one.
     */
    private static void assertQuotaUncharged(String tenant) {
        Map<String, Object> whole = allowedTask();
        post(tenant, whole).statusCode(202);
        as(tenant).post("/v1/tasks/" + whole.get("task_id") + "/cancel").then().statusCode(204);
        post(tenant, allowedTask()).statusCode(429).body("code", equalTo("QUOTA_EXCEEDED")).body("stage", equalTo("quota"));
    }

    @Test
    @DisplayName("ADM-2 authenticate comes first: no token or a bad token answers 401 at stage authenticate even for an invalid"
            + " body; no policy ran, nothing was stored")
    void authenticateFirst() {
        String tenant = governedTenant("auth");
        double calls = admitPolicyCalls();
        Map<String, Object> bad = refusedByEveryLaterStage("no-such-model");
        bad.put("max_tokens", -1);
        given().filter(Contract.RESPONSES_ONLY).contentType(ContentType.JSON).body(bad).post("/v1/tasks").then()
                .statusCode(401).body("code", equalTo("UNAUTHENTICATED")).body("stage", equalTo("authenticate"));
        given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(tenant) + "x")
                .contentType(ContentType.JSON).body(bad).post("/v1/tasks").then()
                .statusCode(401).body("code", equalTo("UNAUTHENTICATED")).body("stage", equalTo("authenticate"));
        assertThat(admitPolicyCalls()).isEqualTo(calls);
        assertThat(storedTasks(tenant)).isZero();
        assertQuotaUncharged(tenant);
    }

    @Test
    @DisplayName("ADM-2 a disabled tenant is refused at stage authenticate (403) even for an invalid body; no policy ran,"
            + " nothing was stored")
    void disabledTenantRefusedAtAuthenticate() {
        String tenant = governedTenant("disabled");
        asAdmin().contentType(ContentType.JSON)
                .body(Map.of("display_name", "ADM-2 order", "weight", 1.0, "tier", "gold", "labels", Map.of(), "disabled", true))
                .put("/v1/tenants/" + tenant).then().statusCode(200).body("disabled", equalTo(true));
        double calls = admitPolicyCalls();
        Map<String, Object> bad = refusedByEveryLaterStage("no-such-model");
        bad.put("priority", "urgent");
        postBadBody(tenant, bad).statusCode(403).body("code", equalTo("FORBIDDEN")).body("stage", equalTo("authenticate"));
        assertThat(admitPolicyCalls()).as("admit policy calls").isEqualTo(calls);
        assertThat(storedTasks(tenant)).isZero();
    }

    @Test
    @DisplayName("ADM-2 validate comes before resolve_model and policy: an invalid body for an unknown or denied model answers"
            + " 400 at stage validate; no policy ran, the quota was not charged, nothing was stored or queued")
    void validateBeforeLaterStages() {
        String tenant = governedTenant("validate");
        double calls = admitPolicyCalls();
        for (String model : List.of("no-such-model", "slow-tiny")) {
            Map<String, Object> bad = refusedByEveryLaterStage(model);
            bad.put("priority", "urgent");
            postBadBody(tenant, bad).statusCode(400)
                    .body("code", equalTo("INVALID_PARAMS")).body("stage", equalTo("validate")).body("field", equalTo("priority"));
        }
        assertThat(admitPolicyCalls()).as("admit policy calls").isEqualTo(calls);
        assertThat(storedTasks(tenant)).isZero();
        assertThat(listedTasks(tenant)).isZero();
        assertQuotaUncharged(tenant);
    }

    @Test
    @DisplayName("ADM-2 resolve_model comes before policy: an unknown model answers 404 at stage resolve_model; no policy ran,"
            + " the quota was not charged, nothing was stored or queued")
    void resolveModelBeforePolicy() {
        String tenant = governedTenant("resolve");
        double calls = admitPolicyCalls();
        post(tenant, refusedByEveryLaterStage("no-such-model")).statusCode(404)
                .body("code", equalTo("NOT_FOUND")).body("stage", equalTo("resolve_model")).body("field", equalTo("model_ref"));
        assertThat(admitPolicyCalls()).as("admit policy calls").isEqualTo(calls);
        assertThat(storedTasks(tenant)).isZero();
        assertThat(listedTasks(tenant)).isZero();
        assertQuotaUncharged(tenant);
    }

    @Test
    @DisplayName("ADM-2 ADM-3 a ctx above every serving pool's limit answers 400 at stage validate before the policy runs; the"
            + " quota was not charged, nothing was stored or queued")
    void poolLimitsBeforePolicy() {
        String tenant = governedTenant("ctx");
        double calls = admitPolicyCalls();
        Map<String, Object> tooWide = refusedByEveryLaterStage("slow-tiny");
        tooWide.put("ctx", 100_000);
        post(tenant, tooWide).statusCode(400)
                .body("code", equalTo("INVALID_PARAMS")).body("stage", equalTo("validate")).body("field", equalTo("ctx"));
        assertThat(admitPolicyCalls()).as("admit policy calls").isEqualTo(calls);
        assertThat(storedTasks(tenant)).isZero();
        assertThat(listedTasks(tenant)).isZero();
        assertQuotaUncharged(tenant);
    }

    @Test
    @DisplayName("ADM-2 policy comes before quota and deadline: a denied task answers 403 POLICY_DENIED at stage policy after"
            + " one policy call; the quota was not charged, nothing was stored or queued")
    void policyBeforeQuotaAndDeadline() {
        String tenant = governedTenant("policy");
        double calls = admitPolicyCalls();
        post(tenant, refusedByEveryLaterStage("slow-tiny")).statusCode(403)
                .body("code", equalTo("POLICY_DENIED")).body("stage", equalTo("policy"))
                .body("policy.name", equalTo("model-allowlist"));
        assertThat(admitPolicyCalls()).as("admit policy calls").isEqualTo(calls + 1);
        assertThat(storedTasks(tenant)).isZero();
        assertThat(listedTasks(tenant)).isZero();
        assertQuotaUncharged(tenant);
    }

    @Test
    @DisplayName("ADM-2 quota comes after policy and before deadline: past the quota a task with an impossible deadline answers"
            + " 429 QUOTA_EXCEEDED at stage quota after its policy call; nothing more was stored or queued")
    void quotaAfterPolicyBeforeDeadline() {
        String tenant = governedTenant("quota");
        Map<String, Object> whole = allowedTask();
        post(tenant, whole).statusCode(202);
        as(tenant).post("/v1/tasks/" + whole.get("task_id") + "/cancel").then().statusCode(204);
        double calls = admitPolicyCalls();
        post(tenant, refusedByEveryLaterStage(DEADLINE_MODEL)).statusCode(429)
                .body("code", equalTo("QUOTA_EXCEEDED")).body("stage", equalTo("quota"));
        assertThat(admitPolicyCalls()).as("admit policy calls").isEqualTo(calls + 1);
        assertThat(storedTasks(tenant)).isEqualTo(1);
        assertThat(listedTasks(tenant)).isEqualTo(1);
    }

    @Test
    @DisplayName("ADM-2 deadline comes after policy and quota: an allowed task within quota whose deadline cannot be met answers"
            + " DEADLINE_UNMET at stage deadline after its policy call; the quota it passed is not charged, nothing was stored or queued")
    void deadlineAfterPolicyAndQuota() {
        String tenant = governedTenant("deadline");
        double calls = admitPolicyCalls();
        post(tenant, refusedByEveryLaterStage(DEADLINE_MODEL)).statusCode(422)
                .body("code", equalTo("DEADLINE_UNMET")).body("stage", equalTo("deadline")).body("field", equalTo("deadline_ms"))
                .body("pool_id", equalTo("pool-d"));
        assertThat(admitPolicyCalls()).as("admit policy calls").isEqualTo(calls + 1);
        assertThat(storedTasks(tenant)).isZero();
        assertThat(listedTasks(tenant)).isZero();
        assertQuotaUncharged(tenant);
    }
}
