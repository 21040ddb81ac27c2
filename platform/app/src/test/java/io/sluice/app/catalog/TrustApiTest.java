package io.sluice.app.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sluice.core.catalog.DsseVerifier;
import io.sluice.core.catalog.ModelState;
import jakarta.inject.Inject;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@QuarkusTest
class TrustApiTest extends CatalogApiSupport {

    @Inject
    CatalogTrust trust;

    @Inject
    MeterRegistry meters;

    /** Posts {@code body} and expects 422 UNTRUSTED_ARTIFACT naming {@code field} and {@code reason}, with nothing stored. */
    private static void untrusted(Map<String, Object> body, String field, String reason) {
        long models = countRows("catalog_models");
        long transitions = countRows("catalog_transitions");
        asAdmin().contentType(ContentType.JSON).body(body).post("/v1/catalog/models").then().statusCode(422)
                .body("code", equalTo("UNTRUSTED_ARTIFACT")).body("field", equalTo(field)).body("message", containsString(reason));
        assertThat(countRows("catalog_models")).isEqualTo(models);
        assertThat(countRows("catalog_transitions")).isEqualTo(transitions);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withEnvelope(Map<String, Object> body, Map<String, Object> envelope) {
        Map<String, Object> b = new LinkedHashMap<>(body);
        b.put("signatures", List.of(envelope));
        return b;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> envelopeOf(Map<String, Object> body) {
        return new LinkedHashMap<>(((List<Map<String, Object>>) body.get("signatures")).get(0));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withSig(Map<String, Object> envelope, String sig) {
        Map<String, Object> e = new LinkedHashMap<>(envelope);
        Map<String, Object> s = new HashMap<>(((List<Map<String, Object>>) envelope.get("signatures")).get(0));
        s.put("sig", sig);
        e.put("signatures", List.of(s));
        return e;
    }

    @Test
    @DisplayName("CAT-2 strict policy refuses unsigned, unknown-registry, wrong-payload-type, truncated, swapped and wrong-curve signatures with 422 UNTRUSTED_ARTIFACT; nothing is stored")
    void strictRefusesBadSignatures() throws Exception {
        String name = unique("cat2");
        Map<String, Object> good = TestSigner.signedModel(name, "a");

        Map<String, Object> unsigned = new LinkedHashMap<>(good);
        unsigned.remove("signatures");
        untrusted(unsigned, "signatures", "unsigned");

        Map<String, Object> unknown = new LinkedHashMap<>(good);
        unknown.put("source_registry", "registry.nobody.trusts");
        untrusted(unknown, "source_registry", "unknown_registry");

        Object manifest = good.get("manifest");
        untrusted(withEnvelope(good, TestSigner.envelope(manifest, CatalogKeys.ecPrivate(), CatalogKeys.EC_KEY, "application/json")),
                "signatures", "payload_type");

        String sig = (String) ((Map<?, ?>) ((List<?>) envelopeOf(good).get("signatures")).get(0)).get("sig");
        untrusted(withEnvelope(good, withSig(envelopeOf(good), sig.substring(0, sig.length() / 2))), "signatures", "bad_signature");

        // A valid signature of another manifest, swapped into this envelope.
        Map<String, Object> other = TestSigner.signedModel(name, "b");
        String otherSig = (String) ((Map<?, ?>) ((List<?>) envelopeOf(other).get("signatures")).get(0)).get("sig");
        untrusted(withEnvelope(good, withSig(envelopeOf(good), otherSig)), "signatures", "bad_signature");
        // A whole envelope of another manifest.
        untrusted(withEnvelope(good, envelopeOf(other)), "signatures", "payload_mismatch");

        // Signed with a P-384 key under the trusted key id: the P-256 trust root cannot verify it.
        KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC");
        p384.initialize(new ECGenParameterSpec("secp384r1"));
        untrusted(withEnvelope(good, TestSigner.envelope(manifest, p384.generateKeyPair().getPrivate(), CatalogKeys.EC_KEY,
                DsseVerifier.PAYLOAD_TYPE)), "signatures", "bad_signature");
        // An Ed25519 signature presented under the ECDSA key's id.
        untrusted(withEnvelope(good, TestSigner.envelope(manifest, CatalogKeys.edPrivate(), CatalogKeys.EC_KEY, DsseVerifier.PAYLOAD_TYPE)),
                "signatures", "bad_signature");
        assertThat(Base64.getDecoder().decode(sig)).isNotEmpty();
    }

    @Test
    @DisplayName("CAT-2 strict policy refuses a missing SBOM and SBOMs that are not valid CycloneDX JSON, naming sbom; nothing is stored")
    void strictRefusesBadSboms() {
        String name = unique("cat2-sbom");
        Map<String, Object> noSbom = new LinkedHashMap<>(TestSigner.signedModel(name, "a"));
        noSbom.remove("sbom");
        untrusted(noSbom, "sbom", "no_sbom");
        Map<String, Object> spdx = new LinkedHashMap<>(TestSigner.signedModel(name, "b"));
        spdx.put("sbom", Map.of("spdxVersion", "SPDX-2.3", "name", "x"));
        untrusted(spdx, "sbom", "bad_sbom");
        Map<String, Object> badShape = new LinkedHashMap<>(TestSigner.signedModel(name, "c"));
        badShape.put("sbom", Map.of("bomFormat", "CycloneDX", "specVersion", "1.5", "components", "not-a-list"));
        untrusted(badShape, "sbom", "bad_sbom");
        Map<String, Object> unknownField = new LinkedHashMap<>(TestSigner.signedModel(name, "d"));
        unknownField.put("sbom", Map.of("bomFormat", "CycloneDX", "specVersion", "1.5", "surprise", true));
        untrusted(unknownField, "sbom", "bad_sbom");
    }

    @Test
    @DisplayName("CAT-2 an Ed25519-signed entry with a CycloneDX SBOM is verified and names the key that verified it")
    void ed25519Verifies() {
        String name = unique("cat2-ed");
        Map<String, Object> body = new LinkedHashMap<>(TestSigner.signedModel(name, "a"));
        body.put("signatures", List.of(TestSigner.envelope(body.get("manifest"), CatalogKeys.edPrivate(), CatalogKeys.ED_KEY,
                DsseVerifier.PAYLOAD_TYPE)));
        asAdmin().contentType(ContentType.JSON).body(body).post("/v1/catalog/models").then().statusCode(201)
                .body("verification.state", equalTo("verified")).body("verification.key_ids", equalTo(List.of(CatalogKeys.ED_KEY)));
    }

    @Test
    @DisplayName("CAT-2 permissive policy stores an untrusted entry as unverified with the reason; a later verify under strict marks it failed")
    void permissiveThenVerify() {
        String name = unique("cat2-perm");
        Map<String, Object> unsigned = new LinkedHashMap<>(TestSigner.signedModel(name, "a"));
        unsigned.remove("signatures");
        String id;
        trust.policyForTests(CatalogTrust.PERMISSIVE);
        try {
            id = asAdmin().contentType(ContentType.JSON).body(unsigned).post("/v1/catalog/models").then().statusCode(201)
                    .body("verification.state", equalTo("unverified")).body("verification.trust_policy", equalTo("permissive"))
                    .body("verification.reason", containsString("unsigned")).extract().path("id");
        } finally {
            trust.policyForTests(CatalogTrust.STRICT);
        }
        double failedBefore = count("failed", "unsigned");
        asAdmin().post("/v1/catalog/models/" + id + "/verify").then().statusCode(202).body("state", equalTo("failed"))
                .body("model_id", equalTo(id));
        asAdmin().get("/v1/catalog/models/" + id).then().statusCode(200).body("verification.state", equalTo("failed"))
                .body("verification.trust_policy", equalTo("strict"));
        assertThat(count("failed", "unsigned")).isEqualTo(failedBefore + 1);
    }

    @Test
    @DisplayName("catalog: verify answers 202 with the run, records its outcome on the entry and counts it; a Retired entry answers 409")
    void verifyRun() {
        String id = entryIn(unique("cat3"), "a", ModelState.Active);
        double before = count("verified", "ok");
        String run = asAdmin().post("/v1/catalog/models/" + id + "/verify").then().statusCode(202).body("state", equalTo("verified"))
                .extract().path("verification_id");
        asAdmin().get("/v1/catalog/models/" + id).then().statusCode(200).body("verification.verification_id", equalTo(run))
                .body("verification.state", equalTo("verified"));
        assertThat(count("verified", "ok")).isEqualTo(before + 1);
        String retired = entryIn(unique("cat3"), "r", ModelState.Retired);
        asAdmin().post("/v1/catalog/models/" + retired + "/verify").then().statusCode(409).body("code", equalTo("CONFLICT"));
    }

    private double count(String result, String reason) {
        var c = meters.find("catalog_verifications_total").tags("result", result, "reason", reason).counter();
        return c == null ? 0 : c.count();
    }
}
