package io.sluice.core.catalog;

import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * A public key trusted to sign manifests of one registry (CAT-2): ECDSA on P-256 or Ed25519, parsed by the JDK's
 * providers from its X.509 SubjectPublicKeyInfo (the usual "PUBLIC KEY" PEM body). Other curves and algorithms are
 * refused when the trust root is configured, so a P-384 or RSA key can never verify anything.
 */
public record TrustRoot(String registry, String keyId, PublicKey key, String algorithm) {
    private static final int P256_FIELD_BITS = 256;

    /** Parses {@code base64Spki}; throws IllegalArgumentException naming what is wrong. */
    public static TrustRoot parse(String registry, String keyId, String base64Spki) {
        byte[] der;
        try {
            der = Base64.getDecoder().decode(base64Spki.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("trust root " + keyId + " of " + registry + " is not base64");
        }
        X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        try {
            PublicKey k = KeyFactory.getInstance("EC").generatePublic(spec);
            if (!isP256((ECPublicKey) k)) {
                throw new IllegalArgumentException("trust root " + keyId + " of " + registry + " is an EC key on another curve than P-256");
            }
            return new TrustRoot(registry, keyId, k, "SHA256withECDSA");
        } catch (java.security.spec.InvalidKeySpecException | java.security.NoSuchAlgorithmException notEc) {
            // not an EC key: try Ed25519
        }
        try {
            PublicKey k = KeyFactory.getInstance("Ed25519").generatePublic(spec);
            return new TrustRoot(registry, keyId, k, "Ed25519");
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalArgumentException("trust root " + keyId + " of " + registry + " is neither an ECDSA P-256 nor an Ed25519 public key");
        }
    }

    /** P-256 is the only 256-bit prime curve the JDK names secp256r1; compare its order size and field. */
    static boolean isP256(ECPublicKey k) {
        ECParameterSpec p = k.getParams();
        return p.getCurve().getField().getFieldSize() == P256_FIELD_BITS
                && p.getOrder().toString(16).equals("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    }
}
