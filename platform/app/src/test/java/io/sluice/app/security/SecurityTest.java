package io.sluice.app.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.SluiceStack;
import io.sluice.app.testing.Sse;
import io.sluice.devstack.DevIssuer;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@QuarkusTest
class SecurityTest extends ApiTest {
    private static final String OWNER = "sec-owner";
    private static final String OTHER = "sec-other";

    private static void assertUnauthenticated(String token) {
        var req = given().filter(Contract.NO_TOKEN);
        if (token != null) {
            req = req.header("Authorization", "Bearer " + token);
        }
        req.contentType(ContentType.JSON).body(task("dev-tiny")).post("/v1/tasks").then()
                .statusCode(401)
                .header("WWW-Authenticate", startsWith("Bearer"))
                .body("code", equalTo("UNAUTHENTICATED"));
    }

    @Test
    @DisplayName("SEC-1 no token, a forged token, an expired token and a foreign issuer's token all answer 401")
    void refusedTokens() throws Exception {
        long before = countRows("tasks");
        assertUnauthenticated(null);
        assertUnauthenticated("not-a-jwt");

        String valid = tenantToken(OWNER);
        String[] parts = valid.split("\\.");
        String forgedPayload = Base64.getUrlEncoder().withoutPadding().encodeToString(
                new String(Base64.getUrlDecoder().decode(parts[1])).replace(OWNER, "sec-victim").getBytes());
        assertUnauthenticated(parts[0] + "." + forgedPayload + "." + parts[2]);

        assertUnauthenticated(SluiceStack.issuer().token(OWNER, Map.of("tenant_id", OWNER, "roles", List.of("tenant")), -600));

        try (DevIssuer foreign = DevIssuer.start(0)) {
            assertUnauthenticated(foreign.tenantToken(OWNER));
        }
        assertThat(countRows("tasks")).as("no refused request stored anything").isEqualTo(before);
    }

    @Test
    @DisplayName("SEC-2 a tenant token on an admin path and an admin token on the data plane answer 403")
    void rolesAreEnforced() {
        for (String adminPath : List.of("/v1/pools", "/v1/tenants", "/v1/catalog/models")) {
            as(OWNER).get(adminPath).then().statusCode(403).body("code", equalTo("FORBIDDEN"));
        }
        long before = countRows("tasks");
        asAdmin().contentType(ContentType.JSON).body(task("dev-tiny")).post("/v1/tasks").then()
                .statusCode(403).body("code", equalTo("FORBIDDEN"));
        asAdmin().get("/v1/policies").then().statusCode(403).body("code", equalTo("FORBIDDEN"));
        assertThat(countRows("tasks")).as("the refused admin submission stored nothing").isEqualTo(before);
    }

    @Test
    @DisplayName("SEC-2 a tenant-role token without the tenant claim is refused")
    void tenantClaimRequired() {
        String noClaim = SluiceStack.issuer().token("someone", Map.of("roles", List.of("tenant")), 600);
        given().filter(Contract.STRICT).header("Authorization", "Bearer " + noClaim).contentType(ContentType.JSON)
                .body(task("dev-tiny")).post("/v1/tasks").then()
                .statusCode(403).body("code", equalTo("FORBIDDEN")).body("message", org.hamcrest.Matchers.containsString("tenant_id"));
    }

    @Test
    @DisplayName("SEC-3 another tenant's task answers 404 on read, stream and cancel, and is left untouched")
    void tenantsAreIsolated() {
        String id = submit(OWNER, task("dev-tiny"));
        as(OTHER).get("/v1/tasks/" + id).then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        as(OTHER).post("/v1/tasks/" + id + "/cancel").then().statusCode(404);
        try (Sse.Stream s = Sse.open(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(OTHER), null)) {
            assertThat(s.status()).isEqualTo(404);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(OWNER));
        assertThat(events.get(events.size() - 1).name()).isEqualTo("end");
        as(OWNER).get("/v1/tasks/" + id).then().statusCode(200).body("state", equalTo("succeeded"));
        as(OWNER).get("/v1/tasks/" + UUID.randomUUID()).then().statusCode(404);
    }

    @Test
    @DisplayName("SEC-1 health, metrics and the OpenAPI document need no token")
    void publicEndpoints() {
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200);
        given().get("/q/openapi").then().statusCode(200);
    }

    @Test
    @DisplayName("SEC-4 error bodies never echo the token or the prompt: invalid, over-budget, refused-token and foreign-task answers")
    void noSecretsInErrors() {
        String token = tenantToken(OWNER);
        String tokenPart = token.substring(20, 60);
        Map<String, Object> invalid = task("dev-tiny");
        invalid.put("prompt", "TOP-SECRET-PROMPT");
        invalid.put("max_tokens", -1);
        // Deliberately invalid (max_tokens below 1): only here is request validation relaxed.
        String answer = given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + token).contentType(ContentType.JSON)
                .body(invalid).post("/v1/tasks").then().statusCode(400).extract().asString();
        assertThat(answer).doesNotContain("TOP-SECRET-PROMPT").doesNotContain(tokenPart);

        Map<String, Object> overBudget = task("dev-tiny");
        overBudget.put("prompt", "TOP-SECRET-PROMPT");
        overBudget.put("max_tokens", 8000);
        answer = as(OWNER).contentType(ContentType.JSON).body(overBudget).post("/v1/tasks").then().statusCode(400).extract().asString();
        assertThat(answer).doesNotContain("TOP-SECRET-PROMPT").doesNotContain(tokenPart);

        String expired = SluiceStack.issuer().token(OWNER, Map.of("tenant_id", OWNER, "roles", List.of("tenant")), -600);
        answer = given().filter(Contract.NO_TOKEN).header("Authorization", "Bearer " + expired).get("/v1/tasks/" + UUID.randomUUID())
                .then().statusCode(401).extract().asString();
        assertThat(answer).doesNotContain(expired.substring(20, 60));

        String foreign = submit(OWNER, overBudgetFree("TOP-SECRET-PROMPT"));
        answer = as(OTHER).get("/v1/tasks/" + foreign).then().statusCode(404).extract().asString();
        assertThat(answer).doesNotContain("TOP-SECRET-PROMPT").doesNotContain(tenantToken(OTHER).substring(20, 60));
    }

    @Test
    @DisplayName("SEC-4 the platform's logs of a failing, retried task never contain its prompt or the caller's token")
    void noSecretsInLogs() {
        String token = tenantToken(OWNER);
        java.util.Queue<String> logged = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                // The raw pattern plus its parameters: a secret passed as an argument is caught before formatting.
                logged.add(r.getLoggerName() + " " + r.getMessage() + " " + java.util.Arrays.toString(r.getParameters())
                        + (r.getThrown() == null ? "" : " " + r.getThrown()));
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(capture);
        try {
            // Both fault-pool replicas answer 500 once: the task fails on one, is retried on the other and fails
            // there, so the platform logs a warning per failure and one for the retry, each naming the task.
            SluiceStack.armFault("f0", "{\"mode\":\"http_5xx\",\"status\":500,\"count\":1}");
            SluiceStack.armFault("f1", "{\"mode\":\"http_5xx\",\"status\":500,\"count\":1}");
            Map<String, Object> body = task("fault-tiny");
            body.put("prompt", "TOP-SECRET-PROMPT-IN-LOGS");
            String id = submit(OWNER, body);
            List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", token);
            assertThat(events.get(events.size() - 1).name()).isEqualTo("error");
            Await.until(java.time.Duration.ofSeconds(30),
                    () -> logged.stream().filter(l -> l.startsWith("io.sluice") && l.contains(id)).count() >= 2,
                    "the platform logged the failures of task " + id);
        } finally {
            root.removeHandler(capture);
            SluiceStack.clearFaults("f0");
            SluiceStack.clearFaults("f1");
        }
        assertThat(logged).noneMatch(l -> l.contains("TOP-SECRET-PROMPT-IN-LOGS"));
        assertThat(logged).noneMatch(l -> l.contains(token.substring(20, 60)));
    }

    private static Map<String, Object> overBudgetFree(String prompt) {
        Map<String, Object> body = task("dev-tiny");
        body.put("prompt", prompt);
        body.put("max_tokens", 1);
        return body;
    }
}
