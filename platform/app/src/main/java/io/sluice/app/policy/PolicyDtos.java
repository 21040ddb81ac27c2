package io.sluice.app.policy;

import java.time.OffsetDateTime;
import java.util.List;

/** Bodies of the policy operations, as the contract names them (snake_case on the wire). */
public final class PolicyDtos {
    private PolicyDtos() {}

    /** {@code PolicyVersion}. */
    public record VersionView(
            String name,
            String version,
            String digest,
            String abiVersion,
            List<String> hooks,
            List<String> needs,
            long sizeBytes,
            OffsetDateTime createdAt,
            String createdBy,
            int fixturesPassed) {}

    /** {@code PolicyCanaryPut}. */
    public record CanaryPut(String version, Integer percent) {}

    /** {@code PolicyBindingPut}. */
    public record BindingPut(String version, List<String> hooks, String failureMode, CanaryPut canary) {}

    /** {@code PolicyCanary}. */
    public record CanaryView(String version, String digest, int percent) {}

    /** {@code PolicyBinding}. */
    public record BindingView(
            String name,
            String version,
            String digest,
            List<String> hooks,
            String failureMode,
            CanaryView canary,
            String previousVersion,
            int revision,
            OffsetDateTime updatedAt,
            String updatedBy) {}

    /** {@code PolicySummary}. */
    public record PolicySummary(String name, String latestVersion, int versionsCount, OffsetDateTime createdAt, BindingView binding) {}

    /** {@code PolicyPage} / {@code PolicyVersionPage}. */
    public record Page<T>(List<T> items) {}
}
