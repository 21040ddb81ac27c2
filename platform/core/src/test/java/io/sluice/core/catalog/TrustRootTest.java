package io.sluice.core.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class TrustRootTest {

    private static String spki(String alg, String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance(alg);
        if (curve != null) {
            g.initialize(new ECGenParameterSpec(curve));
        } else if (alg.equals("RSA")) {
            g.initialize(2048);
        }
        return Base64.getEncoder().encodeToString(g.generateKeyPair().getPublic().getEncoded());
    }

    @Test
    void acceptsP256AndEd25519() throws Exception {
        assertThat(TrustRoot.parse("r", "k", spki("EC", "secp256r1")).algorithm()).isEqualTo("SHA256withECDSA");
        assertThat(TrustRoot.parse("r", "k", spki("Ed25519", null)).algorithm()).isEqualTo("Ed25519");
    }

    @Test
    void refusesOtherCurvesAndAlgorithms() throws Exception {
        String p384 = spki("EC", "secp384r1");
        assertThatThrownBy(() -> TrustRoot.parse("r", "k", p384)).hasMessageContaining("P-256");
        String rsa = spki("RSA", null);
        assertThatThrownBy(() -> TrustRoot.parse("r", "k", rsa)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TrustRoot.parse("r", "k", "not base64!")).hasMessageContaining("base64");
    }
}
