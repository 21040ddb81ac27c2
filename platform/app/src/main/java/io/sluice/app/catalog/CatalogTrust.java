package io.sluice.app.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.app.catalog.CatalogDtos.DsseEnvelope;
import io.sluice.core.catalog.DsseVerifier;
import io.sluice.core.catalog.DsseVerifier.Failure;
import io.sluice.core.catalog.DsseVerifier.Outcome;
import io.sluice.core.catalog.TrustRoot;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Trust decisions of the catalog (CAT-2, CAT-3): the trust roots per registry and the trust policy, from
 * configuration, and one verification of an entry's signatures and SBOM. Every verification counts in
 * {@code catalog_verifications_total{result,reason}}.
 *
 * <p>{@code sluice.catalog.trust-roots} lists {@code registry keyid base64-SPKI} triples (comma separated); the key
 * type (ECDSA P-256 or Ed25519) is read from the key itself. A malformed root stops the start: trusting less than
 * configured silently would be worse.
 */
@ApplicationScoped
public class CatalogTrust {
    public static final String STRICT = "strict";
    public static final String PERMISSIVE = "permissive";

    @Inject
    MeterRegistry registry;

    @Inject
    ObjectMapper json;

    @Inject
    SbomValidator sboms;

    @Inject
    io.sluice.app.config.SluiceAppConfig config;

    private volatile String policy;
    private Map<String, List<TrustRoot>> roots = Map.of();

    @PostConstruct
    void init() {
        String configuredPolicy = config.catalog().trustPolicy();
        Optional<List<String>> configuredRoots = config.catalog().trustRoots();
        if (!STRICT.equals(configuredPolicy) && !PERMISSIVE.equals(configuredPolicy)) {
            throw new IllegalStateException("sluice.catalog.trust-policy must be strict or permissive, not '" + configuredPolicy + "'");
        }
        policy = configuredPolicy;
        Map<String, List<TrustRoot>> parsed = new HashMap<>();
        for (String line : configuredRoots.orElse(List.of())) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length != 3) {
                throw new IllegalStateException("sluice.catalog.trust-roots entries are 'registry keyid base64-SPKI', got: " + line);
            }
            parsed.computeIfAbsent(parts[0], r -> new ArrayList<>()).add(TrustRoot.parse(parts[0], parts[1], parts[2]));
        }
        parsed.replaceAll((r, l) -> List.copyOf(l));
        roots = Map.copyOf(parsed);
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
        Outcome o = DsseVerifier.verify(sourceRegistry, toCore(envelopes), roots, payload -> samePayload(manifest, payload));
        if (o.verified()) {
            if (sbom == null) {
                o = new Outcome(Failure.NO_SBOM, "the entry has no SBOM", java.util.Set.of());
            } else {
                String problem = sboms.problem(sbom);
                if (problem != null) {
                    o = new Outcome(Failure.BAD_SBOM, "sbom: " + problem, java.util.Set.of());
                }
            }
        }
        registry.counter("catalog_verifications_total", "result", o.verified() ? "verified" : "failed", "reason",
                        o.verified() ? "ok" : o.failure().label())
                .increment();
        return o;
    }

    private boolean samePayload(JsonNode manifest, byte[] payload) {
        try {
            return manifest != null && manifest.equals(json.readTree(payload));
        } catch (java.io.IOException e) {
            return false;
        }
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
