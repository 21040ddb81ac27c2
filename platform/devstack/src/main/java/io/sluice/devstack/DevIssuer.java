package io.sluice.devstack;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.KeyProvider;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;

/**
 * A local OpenID Connect issuer minting real signed JWTs (RS256, served JWKS and discovery) for the embedded
 * default and for tests. It binds loopback only and exists only in the dev stack artifact, which the
 * platform never depends on at run time; the platform additionally refuses to start outside its dev
 * profile when pointed at an issuer named {@value #ISSUER_ID}.
 *
 * <p>Thread-safe.
 */
public final class DevIssuer implements AutoCloseable {
    /** Issuer id, the last path segment of the issuer URL. */
    public static final String ISSUER_ID = "sluice-dev";
    public static final String AUDIENCE = "sluice";
    public static final String TENANT_CLAIM = "tenant_id";
    public static final String ROLES_CLAIM = "roles";

    private final RotatableKeys keys = new RotatableKeys();
    private final MockOAuth2Server server =
            new MockOAuth2Server(new OAuth2Config(false, null, null, false, new OAuth2TokenProvider(keys)));

    private DevIssuer() {}

    /** @param port loopback port, 0 for any free one */
    public static DevIssuer start(int port) throws java.io.IOException {
        DevIssuer issuer = new DevIssuer();
        issuer.server.start(InetAddress.getLoopbackAddress(), port);
        return issuer;
    }

    /** The issuer URL ({@code iss} claim and OIDC discovery base). */
    public String issuerUrl() {
        return server.issuerUrl(ISSUER_ID).toString();
    }

    /** A tenant-role token for {@code tenant}. */
    public String tenantToken(String tenant) {
        return token(tenant, Map.of(TENANT_CLAIM, tenant, ROLES_CLAIM, List.of("tenant")), 3600);
    }

    /** An admin-role token; admins carry no tenant. */
    public String adminToken(String subject) {
        return token(subject, Map.of(ROLES_CLAIM, List.of("admin")), 3600);
    }

    /**
     * A token with arbitrary claims and lifetime, for tests of refused tokens.
     *
     * @param expirySeconds lifetime; negative gives a token that expired that long ago
     */
    public String token(String subject, Map<String, Object> claims, long expirySeconds) {
        return server.issueToken(ISSUER_ID, subject, AUDIENCE, new HashMap<>(claims), expirySeconds).serialize();
    }

    /**
     * Paths of the requests the issuer received since the last call (discovery, JWKS, introspection…), oldest first:
     * tests use it to count the outbound calls Sluice makes to its identity provider.
     */
    public List<String> drainRequestPaths() {
        List<String> paths = new java.util.ArrayList<>();
        while (true) {
            okhttp3.mockwebserver.RecordedRequest r;
            try {
                r = server.takeRequest(50, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                break; // none left within the wait
            }
            if (r == null) {
                break;
            }
            paths.add(r.getPath());
        }
        return paths;
    }

    /**
     * Rotates the signing key as a provider does: tokens issued from now on are signed with a new RSA key under a new
     * key id, and the JWKS publishes only that key (an abrupt rotation, the harshest case for a relying party).
     *
     * @return the new key id
     */
    public String rotateSigningKey() {
        return keys.rotate();
    }

    /** Goes back to the built-in key the issuer started with (the one a restarted issuer signs with). */
    public void restoreInitialSigningKey() {
        keys.restore();
    }

    /**
     * mock-oauth2-server's key provider keeps one key per issuer id for its lifetime; this one signs with a replacement
     * once {@link #rotate()} has been called. The JWKS endpoint and token signing both ask {@link #signingKey}, so
     * they always agree.
     */
    private static final class RotatableKeys extends KeyProvider {
        private final AtomicReference<JWK> replacement = new AtomicReference<>();

        @Override
        public JWK signingKey(String issuerId) {
            JWK key = replacement.get();
            return key != null ? key : super.signingKey(issuerId);
        }

        String rotate() {
            try {
                JWK key = new RSAKeyGenerator(2048).keyID("rotated-" + UUID.randomUUID()).keyUse(KeyUse.SIGNATURE)
                        .algorithm(JWSAlgorithm.RS256).generate();
                replacement.set(key);
                return key.getKeyID();
            } catch (JOSEException e) {
                throw new IllegalStateException("could not generate a signing key", e);
            }
        }

        void restore() {
            replacement.set(null);
        }
    }

    @Override
    public void close() {
        server.shutdown();
    }
}
