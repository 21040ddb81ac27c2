package io.sluice.app.catalog;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Map;

/**
 * Trust roots for the catalog tests, generated afresh for every test run: an ECDSA P-256 key and an Ed25519 key
 * trusted for {@link #REGISTRY}. The public halves go into the app's configuration; the private halves reach the
 * tests through system properties (the test resource and the tests may live in different class loaders).
 */
public class CatalogKeys implements QuarkusTestResourceLifecycleManager {
    public static final String REGISTRY = "models.catalog.sluice.test";
    public static final String EC_KEY = "ec-test-key";
    public static final String ED_KEY = "ed-test-key";

    @Override
    public Map<String, String> start() {
        try {
            KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
            ec.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair e = ec.generateKeyPair();
            KeyPair d = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            System.setProperty("catalogtest.ec", Base64.getEncoder().encodeToString(e.getPrivate().getEncoded()));
            System.setProperty("catalogtest.ed", Base64.getEncoder().encodeToString(d.getPrivate().getEncoded()));
            String b64 = Base64.getEncoder().encodeToString(e.getPublic().getEncoded());
            String b64d = Base64.getEncoder().encodeToString(d.getPublic().getEncoded());
            return Map.of("sluice.catalog.trust-roots", REGISTRY + " " + EC_KEY + " " + b64 + "," + REGISTRY + " " + ED_KEY + " " + b64d);
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    @Override
    public void stop() {}

    static PrivateKey ecPrivate() {
        return load("EC", System.getProperty("catalogtest.ec"));
    }

    static PrivateKey edPrivate() {
        return load("Ed25519", System.getProperty("catalogtest.ed"));
    }

    private static PrivateKey load(String alg, String b64) {
        try {
            return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
