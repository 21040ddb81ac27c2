package io.sluice.app.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.app.catalog.CatalogDtos.DsseEnvelope;
import io.sluice.core.catalog.DsseVerifier;
import io.sluice.core.catalog.DsseVerifier.Outcome;
import io.sluice.core.catalog.EntryVerification;
import io.sluice.core.catalog.SbomValidator;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;

/**
 * Trust decisions of the catalog (CAT-2, CAT-3): the trust roots per registry and the trust policy, from
 * configuration, and one verification of an entry's signatures and SBOM ({@link EntryVerification}, shared with the
 * {@code catalog-verify} function). Every verification counts in {@code catalog_verifications_total{result,reason}},
 * and so does every pool load refused for a digest mismatch ({@code reason="digest_mismatch"}).
 *
 * <p>{@code sluice.catalog.trust-roots} lists {@code registry keyid base64-SPKI} triples (comma separated); the key
 * type (ECDSA P-256 or Ed25519) is read from the key itself. A malformed root stops the start: trusting less than
 * configured silently would be worse.
 */
@ApplicationScoped
public class CatalogTrust {
    public static final String STRICT = EntryVerification.STRICT;
    public static final String PERMISSIVE = EntryVerification.PERMISSIVE;
    /** The {@code reason} of {@code catalog_verifications_total} when a pool's engines report another artifact digest. */
    public static final String DIGEST_MISMATCH = "digest_mismatch";

    @Inject
    MeterRegistry registry;

    @Inject
    io.sluice.app.config.SluiceAppConfig config;

    private volatile String policy;
    private EntryVerification verification;

    @PostConstruct
    void init() {
        policy = EntryVerification.requirePolicy(config.catalog().trustPolicy());
        verification = new EntryVerification(EntryVerification.parseRoots(config.catalog().trustRoots().orElse(List.of())),
                new SbomValidator());
    }

    /** Reads the trust roots at start-up, so that a malformed one stops the start instead of the first ingest. */
    void start(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent ev) {
        policy();
    }

    /** The trust policy in force. */
    public String policy() {
        return policy;
    }

    /** Switches the policy at run time; only tests do this, to exercise both policies under one start. */
    void policyForTests(String p) {
        policy = p;
    }

    /** Verifies signatures, then the SBOM, and counts the outcome. */
    public Outcome verify(String sourceRegistry, JsonNode manifest, List<DsseEnvelope> envelopes, JsonNode sbom) {
        Outcome o = verification.verify(sourceRegistry, manifest, toCore(envelopes), sbom);
        registry.counter(EntryVerification.METRIC, "result", EntryVerification.resultLabel(o), "reason", EntryVerification.reasonLabel(o))
                .increment();
        return o;
    }

    /**
     * Counts a load refused because the engines report another artifact than the catalog entry names (CAT-3): the
     * check of the artifact itself, next to the signature and SBOM checks {@link #verify} counts.
     */
    public void countDigestMismatch() {
        registry.counter(EntryVerification.METRIC, "result", "failed", "reason", DIGEST_MISMATCH).increment();
    }

    private static List<DsseVerifier.Envelope> toCore(List<DsseEnvelope> envelopes) {
        if (envelopes == null) {
            return List.of();
        }
        return envelopes.stream()
                .map(e -> new DsseVerifier.Envelope(e.payloadType(), e.payload(), e.signatures() == null
                        ? List.of()
                        : e.signatures().stream().map(s -> new DsseVerifier.Sig(s.keyid(), s.sig())).toList()))
                .toList();
    }
}
