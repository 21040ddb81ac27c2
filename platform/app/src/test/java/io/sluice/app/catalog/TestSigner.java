package io.sluice.app.catalog;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.core.catalog.DsseVerifier;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Builds catalog fixtures for tests: manifests, DSSE envelopes signed with keys the test generated, SBOMs. Test code only. */
public final class TestSigner {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestSigner() {}

    static String digest() {
        String hex = (UUID.randomUUID().toString() + UUID.randomUUID()).replace("-", "");
        return "sha256:" + hex.substring(0, 64);
    }

    static Map<String, Object> manifest(String name, String tag, String digest) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("tag", tag);
        m.put("artifact_digest", digest);
        return m;
    }

    static Map<String, Object> sbom(String name, String tag) {
        return Map.of("bomFormat", "CycloneDX", "specVersion", "1.5", "version", 1,
                "components", List.of(Map.of("type", "machine-learning-model", "name", name, "version", tag)));
    }

    /** An envelope over {@code manifest} signed by {@code key} ("SHA256withECDSA" or "Ed25519"). */
    static Map<String, Object> envelope(Object manifest, PrivateKey key, String keyId, String payloadType) {
        try {
            byte[] payload = JSON.writeValueAsBytes(manifest);
            Signature s = Signature.getInstance(key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "Ed25519");
            s.initSign(key);
            s.update(DsseVerifier.pae(payloadType, payload));
            byte[] sig = s.sign();
            Map<String, Object> sigEntry = new HashMap<>();
            sigEntry.put("keyid", keyId);
            sigEntry.put("sig", Base64.getEncoder().encodeToString(sig));
            Map<String, Object> env = new LinkedHashMap<>();
            env.put("payloadType", payloadType);
            env.put("payload", new String(Base64.getEncoder().encode(payload), StandardCharsets.US_ASCII));
            env.put("signatures", List.of(sigEntry));
            return env;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A complete, signed, trusted ingest body. */
    public static Map<String, Object> signedModel(String name, String tag) {
        return signedModel(name, tag, digest());
    }

    /** A complete, signed, trusted ingest body for the artifact {@code digest} ({@code sha256:<hex>}). */
    public static Map<String, Object> signedModel(String name, String tag, String digest) {
        return signedModel(name, tag, digest, Map.of());
    }

    /** As {@link #signedModel(String, String, String)}, with further manifest members (a chat template, say), signed too. */
    public static Map<String, Object> signedModel(String name, String tag, String digest, Map<String, Object> manifestMembers) {
        Map<String, Object> manifest = manifest(name, tag, digest);
        manifest.putAll(manifestMembers);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("tag", tag);
        body.put("source_registry", CatalogKeys.REGISTRY);
        body.put("artifact_digest", digest);
        body.put("manifest", manifest);
        body.put("signatures", List.of(envelope(manifest, CatalogKeys.ecPrivate(), CatalogKeys.EC_KEY, DsseVerifier.PAYLOAD_TYPE)));
        body.put("sbom", sbom(name, tag));
        return body;
    }
}
