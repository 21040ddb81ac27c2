package io.sluice.policy.testkit;

import static io.sluice.policy.testkit.PolicyAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.policy.host.Modifications;
import io.sluice.policy.host.PolicyErrorKind;
import io.sluice.policy.host.PolicyLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayName("POL-7 JUnit extension and DecisionAssert run a plugin as the platform would")
class PolicyFixtureExtensionTest {

    // A slower call limit than production only because build machines are shared; the code path is the same.
    @RegisterExtension
    static PolicyFixtureExtension policy = PolicyFixtureExtension.forClasspath("/policies/examples/max-tokens-by-tier.wasm")
            .withLimits(PolicyLimits.builder().callTimeout(Duration.ofSeconds(1)).build());

    @TestFactory
    Stream<DynamicTest> shippedFixtures() throws IOException {
        Path dir = Files.createTempDirectory("fixtures");
        Corpus.example("max-tokens-by-tier", dir);
        return policy.fixtureTests(dir.resolve("max-tokens-by-tier/fixtures"));
    }

    @Test
    void capsSilverAtItsLimit() {
        assertThat(policy.admit(AdmitInputBuilder.forTenant("acme").tier("silver").maxTokens(8000).build()))
                .isModifiedTo(Modifications.maxTokens(1024))
                .hasReasonContaining("capped at 1024");
    }

    @Test
    void leavesGoldAlone() {
        assertThat(policy.admit(AdmitInputBuilder.forTenant("acme").tier("gold").maxTokens(100).build())).isAllowed();
    }

    @Test
    void failedAssertionsExplainTheOutcome() {
        var outcome = policy.admit(AdmitInputBuilder.forTenant("acme").tier("gold").maxTokens(100).build());
        assertThatThrownBy(() -> assertThat(outcome).isDeniedWith("nope"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("Expected decision deny but got allow (reason \"max_tokens 100 is within the cap of tier gold\")");
        assertThatThrownBy(() -> assertThat(outcome).failedWith(PolicyErrorKind.TIMEOUT))
                .hasMessageContaining("Expected the call to fail with timeout");
        assertThatThrownBy(() -> assertThat(outcome).isModifiedTo(Modifications.maxTokens(1)))
                .hasMessageContaining("Expected decision modify");
    }

    @Test
    void jsonInputsWork() {
        String json = """
                {"abi_version":"1.0","tenant":{"id":"acme","tier":"silver","labels":{}},
                 "request":{"task_id":"6f1c1d0e-4f7e-4c59-9a59-6c1c2f5b8a10","session_id":"0b7e2f8a-1f33-4f0e-8d7c-2d3f1b9c4e21",
                   "workload":"completion","model_ref":"dev-tiny","engine":null,"priority":"batch","max_tokens":2000,
                   "deadline_ms":1000,"ctx":512,"labels":{},"prompt_chars":3},
                 "snapshot":{"time_ms":1,"quota":{"running":0,"queued":0,"max_concurrent":null,"max_queued":null,
                   "tokens_per_minute_used":0,"tokens_per_minute":null},"queues":{},"model":{"id":"dev-tiny","state":"Active"}}}
                """;
        assertThat(policy.admitJson(json)).isModifiedTo(Modifications.maxTokens(1024));
    }
}
