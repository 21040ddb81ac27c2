package io.sluice.app.artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;
import java.util.List;

/** Bodies of the artifact operations (CAT-4), as the contract names them. */
public final class ArtifactDtos {
    private ArtifactDtos() {}

    /** {@code ArtifactCreate}. */
    public record ArtifactCreate(String kind, JsonNode content, List<String> tags, List<String> lineage) {}

    /** {@code Artifact}. */
    public record Artifact(
            String id, String kind, JsonNode content, List<String> tags, List<String> lineage, long sizeBytes, OffsetDateTime createdAt) {}
}
