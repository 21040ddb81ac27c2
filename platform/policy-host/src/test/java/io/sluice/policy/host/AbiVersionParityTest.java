package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * ABI 1.1 changes how a plugin reads its input, never what it decides: the model-allowlist example built for
 * 1.1 (slot layout) and the same source built for 1.0 ({@code model-allowlist-abi10}, JSON) must give the same
 * decision and reason on every input, through the same host, typed inputs and JSON fixtures alike.
 */
@DisplayName("POL-1 ABI 1.0 and 1.1 plugins run side by side and the same policy decides identically under both")
class AbiVersionParityTest {
    private static final byte[] ABI10 = TestPlugins.resource("/policies/testing/model-allowlist-abi10.wasm");

    @Test
    @DisplayName("the host tells the versions apart from describe and lays inputs out for each")
    void versionsAreToldApart() throws PolicyValidationException {
        PolicyModule v11 = TestHosts.relaxed().compile(TestPlugins.example("model-allowlist"));
        PolicyModule v10 = TestHosts.relaxed().compile(ABI10);
        assertThat(v11.descriptor().abiVersion()).isEqualTo("1.1");
        assertThat(v11.descriptor().binaryInput()).isTrue();
        assertThat(v10.descriptor().abiVersion()).isEqualTo("1.0");
        assertThat(v10.descriptor().binaryInput()).isFalse();
    }

    @Test
    @DisplayName("same decision and reason for allowed, denied, default-list, empty-list and non-ASCII inputs")
    void sameDecisions() throws PolicyValidationException {
        PolicyHost host = TestHosts.relaxed();
        PolicyModule v11 = host.compile(TestPlugins.example("model-allowlist"));
        PolicyModule v10 = host.compile(ABI10);
        List<AdmitInput> inputs = new ArrayList<>();
        for (String model : List.of("dev-tiny", "llama-3.1-8b-instruct", "mixtral-8x7b", "modèle-😀", "")) {
            for (Map<String, String> labels : List.<Map<String, String>>of(
                    Map.of(),
                    Map.of("allowed-models", "dev-tiny,llama-3.1-8b-instruct"),
                    Map.of("allowed-models", " modèle-😀 , mixtral-8x7b "),
                    Map.of("allowed-models", ""),
                    Map.of("allowed-modelsX", "mixtral-8x7b", "allowed-model", "mixtral-8x7b"))) {
                inputs.add(withTenantLabels(Inputs.admit("acme", UUID.randomUUID(), model, 64), labels));
            }
        }
        for (AdmitInput in : inputs) {
            AdmitOutcome a = host.admit("acme", v11, in);
            AdmitOutcome b = host.admit("acme", v10, in);
            assertThat(a.isError()).as("1.1 on %s: %s", in, a.error()).isFalse();
            assertThat(b.isError()).as("1.0 on %s: %s", in, b.error()).isFalse();
            assertThat(a.decision()).as("decision on %s", in).isEqualTo(b.decision());
            assertThat(a.reason()).as("reason on %s", in).isEqualTo(b.reason());
        }
    }

    @Test
    @DisplayName("a 1.1 plugin passes the example's JSON fixtures exactly as its 1.0 build does")
    void fixturesDecideAlike() throws PolicyValidationException {
        PolicyHost host = TestHosts.relaxed();
        PolicyModule v11 = host.compile(TestPlugins.example("model-allowlist"));
        PolicyModule v10 = host.compile(ABI10);
        for (PolicyFixture f : TestPlugins.examples().stream().filter(e -> e.name().equals("model-allowlist"))
                .findFirst().orElseThrow().fixtures()) {
            FixtureResult a = host.runFixture(v11, f);
            FixtureResult b = host.runFixture(v10, f);
            assertThat(a.passed()).as("1.1: %s", a).isTrue();
            assertThat(b.passed()).as("1.0: %s", b).isTrue();
            assertThat(a.detail()).isEqualTo(b.detail());
        }
    }

    private static AdmitInput withTenantLabels(AdmitInput in, Map<String, String> labels) {
        return new AdmitInput(new AdmitInput.Tenant(in.tenant().id(), in.tenant().tier(), labels), in.request(), in.snapshot());
    }
}
