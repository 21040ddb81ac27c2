package io.sluice.functions.catalog;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.funqy.Funq;
import io.sluice.core.catalog.DsseVerifier;
import io.sluice.core.catalog.DsseVerifier.Outcome;
import io.sluice.core.catalog.EntryVerification;
import io.sluice.core.catalog.SbomValidator;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.functions.schema.Database;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * {@code catalog-verify} (FN-1, CAT-3): verifies one catalog entry's signatures and SBOM with the platform's
 * {@link EntryVerification}, under the platform's trust settings ({@code sluice.catalog.trust-roots},
 * {@code sluice.catalog.trust-policy}), and records the run on the entry exactly as {@code POST
 * /v1/catalog/models/{model_id}/verify} does. A Retired (archived) entry is read-only: {@code CONFLICT}. Every recorded
 * run counts in {@code catalog_verifications_total{result,reason}} on the app's {@code /q/metrics}, with the platform's
 * names and labels ({@link EntryVerification#METRIC}).
 */
@ApplicationScoped
public class CatalogVerify {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String READ = "select id, source_registry, manifest_json, signatures_json, sbom_json, archived"
            + " from catalog_models where %s for update";
    private static final String RECORD = "update catalog_models set verification_state = ?, verification_policy = ?,"
            + " verification_reason = ?, verification_key_ids = ?, verification_id = ?, verified_at = ?, updated_at = ?,"
            + " row_version = row_version + 1 where id = ? and not archived";

    @Inject
    Database db;

    @Inject
    MeterRegistry registry;

    @ConfigProperty(name = "sluice.catalog.trust-policy", defaultValue = EntryVerification.STRICT)
    String trustPolicy;

    @ConfigProperty(name = "sluice.catalog.trust-roots")
    Optional<List<String>> trustRoots;

    private EntryVerification verification;

    /** The entry: its id, or its {@code name} and {@code tag}. */
    public record Request(@JsonProperty("id") String id, @JsonProperty("name") String name, @JsonProperty("tag") String tag) {}

    /** The run as recorded on the entry. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(
            @JsonProperty("model_id") UUID modelId,
            @JsonProperty("verification_id") UUID verificationId,
            @JsonProperty("state") String state,
            @JsonProperty("policy") String policy,
            @JsonProperty("reason") String reason,
            @JsonProperty("key_ids") List<String> keyIds,
            @JsonProperty("verified_at") OffsetDateTime verifiedAt) {}

    @PostConstruct
    void init() {
        EntryVerification.requirePolicy(trustPolicy);
        verification = new EntryVerification(EntryVerification.parseRoots(trustRoots.orElse(List.of())), new SbomValidator());
    }

    @Funq("catalog-verify")
    public Result catalogVerify(Request in) {
        if (in == null) {
            throw SluiceException.invalid("input", "a JSON object is required");
        }
        boolean byId = in.id() != null;
        if (byId == (in.name() != null || in.tag() != null)) {
            throw SluiceException.invalid("id", "give either id or name and tag");
        }
        if (!byId && (in.name() == null || in.tag() == null)) {
            throw SluiceException.invalid(in.name() == null ? "name" : "tag", "name and tag are both required");
        }
        UUID id = byId ? uuid(in.id()) : null;
        Run recorded = db.inTransaction("verify the catalog entry", c -> {
            String ref = byId ? in.id() : in.name() + ":" + in.tag();
            try (PreparedStatement read = c.prepareStatement(String.format(READ, byId ? "id = ?" : "name = ? and tag = ?"))) {
                if (byId) {
                    read.setObject(1, id);
                } else {
                    read.setString(1, in.name());
                    read.setString(2, in.tag());
                }
                try (ResultSet r = read.executeQuery()) {
                    if (!r.next()) {
                        throw SluiceException.notFound("catalog entry " + ref);
                    }
                    UUID modelId = r.getObject(1, UUID.class);
                    if (r.getBoolean(6)) {
                        throw new SluiceException(SluiceError.of(ErrorCode.CONFLICT, "catalog entry " + ref + " is Retired (archived, read-only)"));
                    }
                    String sbom = r.getString(5);
                    Outcome o = verification.verify(r.getString(2), tree(r.getString(3)), envelopes(r.getString(4)),
                            sbom == null ? null : tree(sbom));
                    EntryVerification.Recorded rec = EntryVerification.recorded(o, trustPolicy);
                    UUID run = UUID.randomUUID();
                    OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC);
                    try (PreparedStatement w = c.prepareStatement(RECORD)) {
                        w.setString(1, rec.state());
                        w.setString(2, trustPolicy);
                        w.setString(3, rec.reason());
                        w.setString(4, JSON.writeValueAsString(rec.keyIds()));
                        w.setObject(5, run);
                        w.setTimestamp(6, Timestamp.from(at.toInstant()));
                        w.setTimestamp(7, Timestamp.from(at.toInstant()));
                        w.setObject(8, modelId);
                        w.executeUpdate();
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                    return new Run(new Result(modelId, run, rec.state(), trustPolicy, rec.reason(), rec.keyIds(), at), o);
                }
            }
        });
        // Counted once the run is recorded, under the platform's metric contract (CAT-3, OBS-1).
        registry.counter(EntryVerification.METRIC, "result", EntryVerification.resultLabel(recorded.outcome()), "reason",
                        EntryVerification.reasonLabel(recorded.outcome()))
                .increment();
        return recorded.result();
    }

    /** A recorded run and the outcome it recorded. */
    private record Run(Result result, Outcome outcome) {}

    private static UUID uuid(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw SluiceException.invalid("id", "id must be a catalog entry id (a UUID)");
        }
    }

    private static JsonNode tree(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException("a stored catalog document is not JSON", e);
        }
    }

    /** The stored envelopes (the contract's DsseEnvelope list) in the verifier's form. */
    private static List<DsseVerifier.Envelope> envelopes(String text) {
        List<DsseVerifier.Envelope> out = new ArrayList<>();
        for (JsonNode e : tree(text)) {
            List<DsseVerifier.Sig> sigs = new ArrayList<>();
            for (JsonNode s : e.path("signatures")) {
                sigs.add(new DsseVerifier.Sig(s.path("keyid").asText(null), s.path("sig").asText(null)));
            }
            out.add(new DsseVerifier.Envelope(e.path("payloadType").asText(null), e.path("payload").asText(null), sigs));
        }
        return out;
    }
}
