package io.sluice.app.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.SluiceStack;
import io.sluice.app.testing.UnknownKeyTokens;
import io.sluice.devstack.DevIssuer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The identity provider rotates its signing key (ADR 0032). Sluice refreshes the JWKS when a token names a key it does
 * not know, at most once per refresh interval; junk tokens with invented key ids can spend that refresh, so the worst
 * case for a real rotation is one interval of 401s, never longer, and the junk itself never makes Sluice call the
 * provider more than once per interval. The class runs on an app of its own with a short interval, so the bound is
 * reached in seconds; production uses the same mechanism with 30 s.
 */
@QuarkusTest
@TestProfile(OidcKeyRotationTest.ShortRefreshInterval.class)
class OidcKeyRotationTest extends ApiTest {
    private static final String TENANT = "key-rotation";
    private static final Duration INTERVAL = Duration.ofSeconds(2);
    /** One interval, the 3 s OIDC timeout and ample room for a loaded 2-core machine. */
    private static final Duration BOUND = Duration.ofSeconds(20);

    public static class ShortRefreshInterval implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.oidc.token.forced-jwk-refresh-interval", INTERVAL.toSeconds() + "S");
        }
    }

    private static int status(String token) {
        return given().filter(Contract.NO_TOKEN).header("Authorization", "Bearer " + token).get("/v1/tasks").then()
                .extract().statusCode();
    }

    @Test
    @DisplayName("SEC-1 a provider's key rotation is followed within one refresh interval, even right after junk tokens spent the refresh")
    void rotationIsFollowedWithinOneRefreshInterval() {
        DevIssuer issuer = SluiceStack.issuer();
        assertThat(status(tenantToken(TENANT))).as("a token of the provider's first key").isEqualTo(200);
        try {
            issuer.rotateSigningKey();
            String rotated = tenantToken(TENANT);
            Await.until(BOUND, () -> status(rotated) == 200, "a token signed with the provider's new key is accepted");

            // Junk with invented key ids, as fast as one client sends it: every token refused, and the provider is
            // asked for its keys at most once per interval however many arrive.
            issuer.drainRequestPaths();
            long started = System.nanoTime();
            for (int i = 0; i < 40; i++) {
                assertThat(status(UnknownKeyTokens.tenantToken(TENANT, "invented-" + i))).isEqualTo(401);
            }
            Duration flood = Duration.ofNanos(System.nanoTime() - started);
            long jwksCalls = issuer.drainRequestPaths().stream().filter(p -> p.contains("jwks")).count();
            assertThat(jwksCalls).as("JWKS calls during %d ms of unknown-key tokens", flood.toMillis())
                    .isLessThanOrEqualTo(1 + flood.toMillis() / INTERVAL.toMillis());

            // The provider rotates again right after the junk, whose refresh may have just been spent: the new key is
            // still followed once the interval has passed.
            issuer.rotateSigningKey();
            String rotatedAgain = tenantToken(TENANT);
            long rotatedAt = System.nanoTime();
            Await.until(BOUND, () -> status(rotatedAgain) == 200, "a token of the second new key is accepted");
            System.out.println("OidcKeyRotationTest: second rotation followed after "
                    + Duration.ofNanos(System.nanoTime() - rotatedAt).toMillis() + " ms; " + jwksCalls
                    + " JWKS call(s) during " + flood.toMillis() + " ms of junk");
        } finally {
            issuer.restoreInitialSigningKey();
        }
    }
}
