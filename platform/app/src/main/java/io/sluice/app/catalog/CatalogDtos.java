package io.sluice.app.catalog;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/** Bodies of the catalog, lifecycle and alias operations, as the contract names them (snake_case on the wire). */
public final class CatalogDtos {
    private CatalogDtos() {}

    /** {@code DsseSignature}. */
    public record DsseSignature(String keyid, String sig) {}

    /** {@code DsseEnvelope}: member names follow DSSE, not snake_case. */
    public record DsseEnvelope(
            @JsonProperty("payloadType") String payloadType,
            @JsonProperty("payload") String payload,
            @JsonProperty("signatures") List<DsseSignature> signatures) {}

    /** {@code ModelCreate}. */
    public record ModelCreate(
            String name,
            String tag,
            String sourceRegistry,
            String artifactDigest,
            JsonNode manifest,
            List<DsseEnvelope> signatures,
            JsonNode sbom) {}

    /** {@code Verification}. */
    public record Verification(
            String state, String trustPolicy, String reason, OffsetDateTime verifiedAt, List<String> keyIds, UUID verificationId) {}

    /** {@code Transition}. */
    public record Transition(
            String fromState, String toState, OffsetDateTime at, String actor, String reason, OffsetDateTime deadlineAt) {}

    /** {@code ModelEntry}. */
    public record ModelEntry(
            UUID id,
            String name,
            String tag,
            String sourceRegistry,
            String artifactDigest,
            JsonNode manifest,
            List<DsseEnvelope> signatures,
            JsonNode sbom,
            Verification verification,
            String state,
            boolean archived,
            OffsetDateTime createdAt,
            String createdBy,
            OffsetDateTime updatedAt,
            List<Transition> history) {}

    /** {@code StateChange}. */
    public record StateChange(String state, Long deadlineMs, String reason) {}

    /** {@code VerificationRun}. */
    public record VerificationRun(UUID verificationId, UUID modelId, String state) {}

    /** {@code AliasTarget}. */
    public record AliasTarget(UUID modelId, Integer percent) {}

    /** {@code AliasPut}. */
    public record AliasPut(List<AliasTarget> targets) {}

    /** {@code Alias}. */
    public record Alias(
            String alias, List<AliasTarget> targets, int revision, OffsetDateTime updatedAt, String updatedBy, List<AliasTarget> previousTargets) {}

    /** {@code ModelPage}, {@code TransitionPage}, {@code AliasPage}. */
    public record Page<T>(List<T> items, String nextCursor) {}
}
