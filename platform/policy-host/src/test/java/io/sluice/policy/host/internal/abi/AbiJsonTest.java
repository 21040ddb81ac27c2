package io.sluice.policy.host.internal.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.Priority;
import io.sluice.policy.host.RouteInput;
import io.sluice.policy.host.internal.abi.AbiSchemas.Kind;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

@DisplayName("POL-1 typed inputs encode to the ABI v1 input schemas; the prompt only when declared")
class AbiJsonTest {
    private static final UUID TASK = UUID.fromString("6f1c1d0e-4f7e-4c59-9a59-6c1c2f5b8a10");

    static AdmitInput input(String prompt) {
        return new AdmitInput(
                new AdmitInput.Tenant("acme", "gold", Map.of("k", "v")),
                new AdmitInput.Request(TASK, UUID.randomUUID(), "completion", "dev-tiny", "llamacpp", Priority.BATCH,
                        256, 60_000L, 2048, Map.of("team", "search"), prompt.length(), prompt),
                new AdmitInput.Snapshot(1_764_000_000_000L, new AdmitInput.Quota(1, 2, null, 100, 5, 1000L),
                        Map.of("pool-a", 3, "pool-b", 0), new AdmitInput.Model("dev-tiny", "Deprecated")));
    }

    @Test
    void admitInputMatchesTheSchemaAndCarriesTheFacts() {
        AbiJson.EncodedInput e = AbiJson.encodeAdmit(input("secret prompt"), false);
        JsonNode tree = AbiJson.MAPPER.readTree(e.json());
        assertThat(AbiSchemas.get().validate(Kind.ADMIT_INPUT, tree, 5)).isEmpty();
        assertThat(tree.path("request").has("prompt")).isFalse();
        assertThat(tree.path("abi_version").stringValue()).isEqualTo("1.0");
        assertThat(tree.path("snapshot").path("queues").path("pool-a").path("depth").intValue()).isEqualTo(3);
        assertThat(tree.path("snapshot").path("quota").path("max_concurrent").isNull()).isTrue();
        assertThat(e.facts().maxTokens()).isEqualTo(256);
        assertThat(e.facts().timeMs()).isEqualTo(1_764_000_000_000L);
        assertThat(e.facts().taskId()).isEqualTo(TASK.toString());
        assertThat(new String(e.json(), StandardCharsets.UTF_8)).doesNotContain("secret prompt");
    }

    @Test
    void promptIsSentOnlyToModulesThatNeedIt() {
        JsonNode tree = AbiJson.MAPPER.readTree(AbiJson.encodeAdmit(input("secret prompt"), true).json());
        assertThat(tree.path("request").path("prompt").stringValue()).isEqualTo("secret prompt");
        assertThat(AbiSchemas.get().validate(Kind.ADMIT_INPUT, tree, 5)).isEmpty();
    }

    @Test
    void routeInputMatchesTheSchema() {
        RouteInput in = new RouteInput(input("p"), List.of(
                new RouteInput.Candidate("pool-a/r0", "pool-a", "llamacpp", 3, Map.of("zone", "a")),
                new RouteInput.Candidate("pool-b/r1", "pool-b", "vllm", 0, Map.of())));
        AbiJson.EncodedInput e = AbiJson.encodeRoute(in, false);
        assertThat(AbiSchemas.get().validate(Kind.ROUTE_INPUT, AbiJson.MAPPER.readTree(e.json()), 5)).isEmpty();
        assertThat(e.facts().candidateIds()).containsExactly("pool-a/r0", "pool-b/r1");
    }

    @Test
    void jsonInputDropsThePromptUnlessNeeded() {
        String json = new String(AbiJson.encodeAdmit(input("secret prompt"), true).json(), StandardCharsets.UTF_8);
        assertThat(new String(AbiJson.fromJson(json, false, false).json(), StandardCharsets.UTF_8)).doesNotContain("secret prompt");
        assertThat(new String(AbiJson.fromJson(json, true, false).json(), StandardCharsets.UTF_8)).contains("secret prompt");
        assertThatThrownBy(() -> AbiJson.fromJson("{\"tenant\":{}}", false, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tenant.id");
    }

    @Test
    void randomSeedIsAFunctionOfTheTaskIdOnly() {
        assertThat(AbiJson.seedOf(TASK.toString())).isEqualTo(AbiJson.seedOf(TASK.toString()));
        assertThat(AbiJson.seedOf(TASK.toString())).isNotEqualTo(AbiJson.seedOf(UUID.randomUUID().toString()));
        assertThat(AbiJson.seedOf("not-a-uuid")).isEqualTo(AbiJson.seedOf("not-a-uuid"));
    }
}
