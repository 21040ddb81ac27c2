package io.sluice.app.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.SluiceStack;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The verified-token cache saves verification, and never extends what a token may do or how long it lives. */
@QuarkusTest
class VerifiedTokenCacheTest extends ApiTest {

    private static String token(String tenant, long expirySeconds) {
        return SluiceStack.issuer().token("sub-" + tenant, Map.of("tenant_id", tenant, "roles", List.of("tenant")), expirySeconds);
    }

    private static int listStatus(String token) {
        return given().filter(Contract.STRICT).header("Authorization", "Bearer " + token).get("/v1/tasks").statusCode();
    }

    @Test
    @DisplayName("a token presented again is answered from the cache, and each tenant still sees only its own tasks")
    void repeatedTokenIsAHit() {
        String a = token("cache-a", 300);
        String b = token("cache-b", 300);
        String taskOfA = submit("cache-a", task("dev-tiny"));

        double hits = metric("sluice_verified_token_cache_total{result=\"hit\"}");
        double misses = metric("sluice_verified_token_cache_total{result=\"miss\"}");
        assertThat(listStatus(a)).isEqualTo(200);
        assertThat(metric("sluice_verified_token_cache_total{result=\"miss\"}")).isEqualTo(misses + 1);
        List<String> seenByA = given().filter(Contract.STRICT).header("Authorization", "Bearer " + a).get("/v1/tasks")
                .then().statusCode(200).extract().path("items.task_id");
        assertThat(metric("sluice_verified_token_cache_total{result=\"hit\"}")).isGreaterThanOrEqualTo(hits + 1);
        assertThat(seenByA).contains(taskOfA);
        List<String> seenByB = given().filter(Contract.STRICT).header("Authorization", "Bearer " + b).get("/v1/tasks")
                .then().statusCode(200).extract().path("items.task_id");
        assertThat(seenByB).doesNotContain(taskOfA);
    }

    @Test
    @DisplayName("SEC-1 a remembered token is refused once it expires")
    void rememberedTokenExpires() {
        String shortLived = token("cache-exp", 3);
        assertThat(listStatus(shortLived)).isEqualTo(200);
        assertThat(listStatus(shortLived)).isEqualTo(200); // now from the cache
        Await.until(Duration.ofSeconds(30), () -> listStatus(shortLived) == 401, "the remembered token to be refused after its exp");
    }

    @Test
    @DisplayName("a remembered tenant token still cannot call admin-only operations")
    void rememberedTokenKeepsItsRoles() {
        String t = token("cache-roles", 300);
        assertThat(listStatus(t)).isEqualTo(200);
        given().filter(Contract.STRICT).header("Authorization", "Bearer " + t).get("/v1/tenants").then().statusCode(403);
        String admin = adminToken();
        given().filter(Contract.STRICT).header("Authorization", "Bearer " + admin).get("/v1/tasks").then().statusCode(403);
        given().filter(Contract.STRICT).header("Authorization", "Bearer " + admin).get("/v1/tasks").then().statusCode(403);
    }

    /** A sample's value from /q/metrics (0 when absent). */
    private static double metric(String series) {
        String scrape = given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }
}
