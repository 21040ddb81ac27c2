package io.sluice.app.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.SluiceStack;
import java.util.Date;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Tokens a real provider never issued are refused locally: no introspection call, at most one JWKS refresh for any
 * number of unknown key ids, and no ERROR log per request (issue 13: one outbound call per junk request was an
 * amplification path).
 */
@QuarkusTest
class OidcHardeningTest extends ApiTest {
    /** {@code quarkus.oidc.token.forced-jwk-refresh-interval} in application.properties. */
    private static final long JWKS_REFRESH_INTERVAL_MS = 30_000;

    private static String unknownKeyToken() throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).keyID("not-the-issuers-key").generate();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(SluiceStack.issuer().issuerUrl()).audience("sluice").subject("mallory")
                .claim("tenant_id", "hardening").claim("roles", List.of("tenant"))
                .issueTime(new Date()).expirationTime(new Date(System.currentTimeMillis() + 600_000)).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    private static int status(String token) {
        return given().filter(Contract.NO_TOKEN).header("Authorization", "Bearer " + token).get("/v1/tasks").then()
                .extract().statusCode();
    }

    @Test
    @DisplayName("SEC-1 junk and unknown-key tokens answer 401 without introspection, with at most one JWKS refresh per interval and no ERROR log")
    void junkTokensAreRefusedLocally() throws Exception {
        // A valid request first, so that discovery and the JWKS are loaded before counting.
        as("hardening").get("/v1/tasks").then().statusCode(200);
        SluiceStack.issuer().drainRequestPaths();

        Queue<String> errors = new ConcurrentLinkedQueue<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
                    errors.add(r.getLoggerName() + " " + r.getMessage());
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger root = Logger.getLogger("");
        root.addHandler(capture);
        long started = System.nanoTime();
        try {
            for (int i = 0; i < 20; i++) {
                assertThat(status("opaque-junk-" + i)).isEqualTo(401);
                assertThat(status(unknownKeyToken())).isEqualTo(401);
            }
        } finally {
            root.removeHandler(capture);
        }
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        List<String> calls = SluiceStack.issuer().drainRequestPaths();
        assertThat(calls).noneMatch(p -> p.contains("introspect"));
        // At most one refresh per forced-jwk-refresh-interval (30 s, ADR 0032), however many unknown keys arrive.
        assertThat(calls.stream().filter(p -> p.contains("jwks")).count()).as("JWKS calls in %d ms", elapsedMs)
                .isLessThanOrEqualTo(1 + elapsedMs / JWKS_REFRESH_INTERVAL_MS);
        assertThat(errors).isEmpty();
        // and the issuer's own tokens still work
        as("hardening").get("/v1/tasks").then().statusCode(200);
    }
}
