package io.sluice.app.policy.shadow;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

/** Bodies of the shadow, replay and policy-settings operations, as the contract names them (snake_case on the wire). */
public final class ShadowDtos {
    private ShadowDtos() {}

    /** {@code PolicyShadowPut}. */
    public record ShadowPut(String version) {}

    /** {@code PolicyShadow}. */
    public record ShadowView(
            String name, String version, String digest, String activeVersion, List<String> hooks, OffsetDateTime createdAt, String createdBy) {}

    /** {@code PolicyReplayPost}. */
    public record ReplayPost(String version, Integer hours, String hook) {}

    /** {@code PolicySettings}. */
    public record SettingsView(Integer pinRequiresReportWithinS) {}

    /** {@code PolicyDiffPair}. */
    public record Pair(String active, String shadow, long count) {}

    /** {@code PolicyDiffSample}: the recorded input with its prompt text removed. */
    public record Sample(String active, String shadow, OffsetDateTime recordedAt, JsonNode input) {}

    /** {@code PolicyDiffErrors}. */
    public record Errors(long count, Map<String, Long> byKind) {}

    /** {@code PolicyDiffLatency}, in microseconds. */
    public record Latency(long p50Us, long p99Us) {}

    /** {@code PolicyDiffReport}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Report(
            String name,
            String candidateVersion,
            String source,
            String hook,
            OffsetDateTime generatedAt,
            OffsetDateTime windowStart,
            long evaluated,
            long disagreements,
            List<Pair> pairs,
            List<Sample> samples,
            Errors errors,
            Latency latency) {}
}
