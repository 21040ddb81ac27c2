package io.sluice.app.security;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.SluiceStack;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A second identity provider layout, the one Keycloak issues by default (docs/deploy.md): roles in
 * {@code realm_access.roles} and the tenant in a custom claim ({@code org_id}). Configured only through the two
 * settings an operator sets; tokens are real signed JWTs from the in-process issuer.
 */
@QuarkusTest
@TestProfile(SecondIssuerLayoutTest.KeycloakLayout.class)
class SecondIssuerLayoutTest extends ApiTest {
    private static final String TENANT = "layout-acme";
    private static final String OTHER = "layout-globex";

    /** The settings docs/deploy.md tells a Keycloak operator to set. */
    public static class KeycloakLayout implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.oidc.roles.role-claim-path", "realm_access/roles", "sluice.security.tenant-claim", "org_id");
        }
    }

    private static String keycloakToken(String subject, Map<String, Object> claims) {
        return SluiceStack.issuer().token(subject, claims, 600);
    }

    private static String tenantOf(String tenant) {
        return keycloakToken("user-" + tenant, Map.of("org_id", tenant, "realm_access", Map.of("roles", List.of("tenant", "offline_access"))));
    }

    private static RequestSpecification with(String token) {
        return given().filter(Contract.STRICT).header("Authorization", "Bearer " + token);
    }

    @Test
    @DisplayName("SEC-2 roles in realm_access.roles and the tenant in a custom claim: a tenant submits and reads its own task, another tenant gets 404")
    void tenantFromCustomClaimAndRolesFromRealmAccess() {
        Map<String, Object> body = task("dev-tiny");
        body.put("max_tokens", 2);
        with(tenantOf(TENANT)).contentType(ContentType.JSON).body(body).post("/v1/tasks").then().statusCode(202);
        with(tenantOf(TENANT)).get("/v1/tasks/" + body.get("task_id")).then().statusCode(200)
                .body("task_id", equalTo(body.get("task_id")));
        with(tenantOf(OTHER)).get("/v1/tasks/" + body.get("task_id")).then().statusCode(404).body("code", equalTo("NOT_FOUND"));
    }

    @Test
    @DisplayName("SEC-2 under this layout the admin role is read from realm_access.roles too")
    void adminRoleFromRealmAccess() {
        String admin = keycloakToken("ops", Map.of("realm_access", Map.of("roles", List.of("admin"))));
        with(admin).get("/v1/pools").then().statusCode(200);
        with(tenantOf(TENANT)).get("/v1/pools").then().statusCode(403).body("code", equalTo("FORBIDDEN"));
    }

    @Test
    @DisplayName("SEC-2 under this layout top-level roles grant nothing and a tenant token without the custom claim is refused naming it")
    void otherLayoutsAreRefused() {
        String topLevelRoles = keycloakToken("user", Map.of("org_id", TENANT, "roles", List.of("tenant")));
        with(topLevelRoles).contentType(ContentType.JSON).body(task("dev-tiny")).post("/v1/tasks").then()
                .statusCode(403).body("code", equalTo("FORBIDDEN"));
        String defaultTenantClaim = keycloakToken("user", Map.of("tenant_id", TENANT, "realm_access", Map.of("roles", List.of("tenant"))));
        with(defaultTenantClaim).contentType(ContentType.JSON).body(task("dev-tiny")).post("/v1/tasks").then()
                .statusCode(403).body("code", equalTo("FORBIDDEN")).body("message", containsString("org_id"));
    }
}
