package io.sluice.app.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.util.Date;
import java.util.List;

/**
 * Tenant tokens that claim the test issuer and are valid in every claim, but are signed by a fresh key the issuer
 * never published: only the JWKS can tell them apart from real ones, so Sluice must look for the key (REL-4).
 */
public final class UnknownKeyTokens {
    private UnknownKeyTokens() {}

    public static String tenantToken(String tenant, String keyId) {
        try {
            RSAKey key = new RSAKeyGenerator(2048).keyID(keyId).generate();
            JWTClaimsSet claims = new JWTClaimsSet.Builder()
                    .issuer(SluiceStack.issuer().issuerUrl()).audience("sluice").subject("someone")
                    .claim("tenant_id", tenant).claim("roles", List.of("tenant"))
                    .issueTime(new Date()).expirationTime(new Date(System.currentTimeMillis() + 600_000)).build();
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
            jwt.sign(new RSASSASigner(key));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
