package io.sluice.core.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.core.catalog.DsseVerifier.Failure;
import io.sluice.core.catalog.DsseVerifier.Outcome;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One verification of a catalog entry (CAT-2, CAT-3): its DSSE signatures against the trust roots of its registry,
 * then its SBOM; and the form the outcome is recorded in on {@code catalog_models}. The platform's catalog and the
 * {@code catalog-verify} function both decide through this class, so an entry verifies the same wherever it is
 * checked. Thread-safe once built.
 */
public final class EntryVerification {
    /** Unsigned or untrusted entries are refused at ingest and recorded as {@code failed}. */
    public static final String STRICT = "strict";
    /** Unsigned or untrusted entries are accepted and recorded as {@code unverified}. */
    public static final String PERMISSIVE = "permissive";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_REASON = 1024;

    private final Map<String, List<TrustRoot>> roots;
    private final SbomValidator sboms;

    /** What a run writes on the entry: {@code verification_state}, {@code verification_reason} and the key ids. */
    public record Recorded(String state, String reason, List<String> keyIds) {}

    public EntryVerification(Map<String, List<TrustRoot>> roots, SbomValidator sboms) {
        this.roots = Map.copyOf(roots);
        this.sboms = sboms;
    }

    /**
     * Parses {@code sluice.catalog.trust-roots}: {@code registry keyid base64-SPKI} triples. A malformed root throws:
     * trusting less than configured silently would be worse.
     */
    public static Map<String, List<TrustRoot>> parseRoots(List<String> lines) {
        Map<String, List<TrustRoot>> parsed = new HashMap<>();
        for (String line : lines) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length != 3) {
                throw new IllegalStateException("sluice.catalog.trust-roots entries are 'registry keyid base64-SPKI', got: " + line);
            }
            parsed.computeIfAbsent(parts[0], r -> new ArrayList<>()).add(TrustRoot.parse(parts[0], parts[1], parts[2]));
        }
        parsed.replaceAll((r, l) -> List.copyOf(l));
        return Map.copyOf(parsed);
    }

    /** Checks that {@code policy} is {@link #STRICT} or {@link #PERMISSIVE}, else throws naming the setting. */
    public static String requirePolicy(String policy) {
        if (!STRICT.equals(policy) && !PERMISSIVE.equals(policy)) {
            throw new IllegalStateException("sluice.catalog.trust-policy must be strict or permissive, not '" + policy + "'");
        }
        return policy;
    }

    /** Verifies the signatures over {@code manifest}, then the SBOM ({@code null} when the entry has none). */
    public Outcome verify(String sourceRegistry, JsonNode manifest, List<DsseVerifier.Envelope> envelopes, JsonNode sbom) {
        Outcome o = DsseVerifier.verify(sourceRegistry, envelopes == null ? List.of() : envelopes, roots,
                payload -> samePayload(manifest, payload));
        if (!o.verified()) {
            return o;
        }
        if (sbom == null) {
            return new Outcome(Failure.NO_SBOM, "the entry has no SBOM", Set.of());
        }
        String problem = sboms.problem(sbom);
        return problem == null ? o : new Outcome(Failure.BAD_SBOM, "sbom: " + problem, Set.of());
    }

    /**
     * The counter every verification is counted in, by the platform and by the {@code catalog-verify} function alike
     * (CAT-3, OBS-1), with the labels {@link #resultLabel} and {@link #reasonLabel} give.
     */
    public static final String METRIC = "catalog_verifications_total";

    /** The {@code result} label of {@link #METRIC}: {@code verified} or {@code failed}, whatever the trust policy. */
    public static String resultLabel(Outcome o) {
        return o.verified() ? "verified" : "failed";
    }

    /** The {@code reason} label of {@link #METRIC}: {@code ok}, or what failed ({@link Failure#label()}). */
    public static String reasonLabel(Outcome o) {
        return o.verified() ? "ok" : o.failure().label();
    }

    /** The outcome as recorded under {@code policy}: a failure is {@code failed} when strict, {@code unverified} else. */
    public static Recorded recorded(Outcome o, String policy) {
        if (o.verified()) {
            return new Recorded("verified", null, o.keyIds().stream().sorted().toList());
        }
        String reason = o.failure().label() + ": " + o.detail();
        return new Recorded(STRICT.equals(policy) ? "failed" : "unverified",
                reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) : reason, List.of());
    }

    private static boolean samePayload(JsonNode manifest, byte[] payload) {
        try {
            return manifest != null && manifest.equals(JSON.readTree(payload));
        } catch (IOException e) {
            return false;
        }
    }
}
