package io.sluice.core.catalog;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Verifies DSSE envelopes (the in-toto signing envelope, DSSE v1) over a model manifest against a registry's trust
 * roots (CAT-2). Signatures are checked over PAE(payloadType, payload) with the JDK's {@link Signature}: ECDSA
 * P-256 with SHA-256 (ASN.1 DER signatures) or Ed25519. Stateless and thread-safe.
 */
public final class DsseVerifier {
    /** The payload type Sluice manifests are signed under. */
    public static final String PAYLOAD_TYPE = "application/vnd.sluice.manifest+json";

    private DsseVerifier() {}

    /** One envelope as received: payload still base64. */
    public record Envelope(String payloadType, String payload, List<Sig> signatures) {}

    public record Sig(String keyId, String sig) {}

    /** Why verification failed, as the {@code reason} label of {@code catalog_verifications_total}. */
    public enum Failure {
        UNSIGNED("unsigned"),
        UNKNOWN_REGISTRY("unknown_registry"),
        PAYLOAD_TYPE("payload_type"),
        PAYLOAD_MISMATCH("payload_mismatch"),
        BAD_SIGNATURE("bad_signature"),
        NO_SBOM("no_sbom"),
        BAD_SBOM("bad_sbom");

        private final String label;

        Failure(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** The outcome: {@code failure} null when verified, then {@code keyIds} names the keys that verified. */
    public record Outcome(Failure failure, String detail, Set<String> keyIds) {
        public boolean verified() {
            return failure == null;
        }

        static Outcome fail(Failure f, String detail) {
            return new Outcome(f, detail, Set.of());
        }
    }

    /**
     * Verifies every envelope: each must carry the Sluice payload type, a payload equal to {@code manifest} (compared
     * by {@code samePayload}, since JSON text may differ in spacing) and at least one signature that a trust root of
     * {@code registry} verifies. Signatures by unknown keys are ignored, not failures: a registry may sign with several
     * keys and rotate them.
     */
    public static Outcome verify(String registry, List<Envelope> envelopes, Map<String, List<TrustRoot>> roots,
            java.util.function.Predicate<byte[]> samePayload) {
        List<TrustRoot> trusted = roots.get(registry);
        if (trusted == null || trusted.isEmpty()) {
            return Outcome.fail(Failure.UNKNOWN_REGISTRY, "registry '" + registry + "' has no configured trust roots");
        }
        if (envelopes == null || envelopes.isEmpty()) {
            return Outcome.fail(Failure.UNSIGNED, "the entry carries no DSSE envelope");
        }
        Set<String> keyIds = new TreeSet<>();
        for (int i = 0; i < envelopes.size(); i++) {
            Envelope env = envelopes.get(i);
            String where = "signatures[" + i + "]";
            if (!PAYLOAD_TYPE.equals(env.payloadType())) {
                return Outcome.fail(Failure.PAYLOAD_TYPE, where + ".payloadType is '" + env.payloadType() + "', expected " + PAYLOAD_TYPE);
            }
            byte[] payload;
            try {
                payload = Base64.getDecoder().decode(env.payload());
            } catch (IllegalArgumentException e) {
                return Outcome.fail(Failure.PAYLOAD_MISMATCH, where + ".payload is not base64");
            }
            if (!samePayload.test(payload)) {
                return Outcome.fail(Failure.PAYLOAD_MISMATCH, where + ".payload is not the entry's manifest");
            }
            byte[] pae = pae(env.payloadType(), payload);
            List<String> verifiedBy = new ArrayList<>();
            for (Sig s : env.signatures() == null ? List.<Sig>of() : env.signatures()) {
                byte[] sig;
                try {
                    sig = Base64.getDecoder().decode(s.sig());
                } catch (IllegalArgumentException e) {
                    continue;
                }
                for (TrustRoot root : trusted) {
                    if (s.keyId() != null && !s.keyId().equals(root.keyId())) {
                        continue;
                    }
                    if (check(root, pae, sig)) {
                        verifiedBy.add(root.keyId());
                        break;
                    }
                }
            }
            if (verifiedBy.isEmpty()) {
                return Outcome.fail(Failure.BAD_SIGNATURE, where + " has no signature that a trust root of '" + registry + "' verifies");
            }
            keyIds.addAll(verifiedBy);
        }
        return new Outcome(null, null, Set.copyOf(keyIds));
    }

    /** DSSE v1 pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body. */
    public static byte[] pae(String payloadType, byte[] payload) {
        byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("DSSEv1 " + type.length + " " + payloadType + " " + payload.length + " ").getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[head.length + payload.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(payload, 0, out, head.length, payload.length);
        return out;
    }

    private static boolean check(TrustRoot root, byte[] pae, byte[] sig) {
        try {
            Signature v = Signature.getInstance(root.algorithm());
            v.initVerify(root.key());
            v.update(pae);
            return v.verify(sig);
        } catch (GeneralSecurityException | RuntimeException malformed) {
            // A truncated or garbled signature makes some providers throw instead of answering false.
            return false;
        }
    }

    static boolean isEc(TrustRoot r) {
        return r.key() instanceof ECPublicKey;
    }
}
