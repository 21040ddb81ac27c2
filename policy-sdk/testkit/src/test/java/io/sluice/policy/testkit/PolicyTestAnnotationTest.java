package io.sluice.policy.testkit;

import static io.sluice.policy.testkit.PolicyAssertions.assertThat;

import io.sluice.policy.host.PolicyErrorKind;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("POL-7 @PolicyTest injects the compiled plugin; RouteAssert checks orders")
@PolicyTest(wasm = "classpath:/policies/examples/route-preferred-pool.wasm", callTimeoutMs = 1000)
class PolicyTestAnnotationTest {

    @Test
    void routesAndChecksTheOrder(PolicyUnderTest policy) {
        var input = AdmitInputBuilder.forTenant("acme")
                .candidate("pool-a/r0", "pool-a", "llamacpp", 1, Map.of())
                .candidate("pool-b/r0", "pool-b", "vllm", 5, Map.of())
                .buildRoute();
        assertThat(policy.route(input)).ordersExactly("pool-b/r0", "pool-a/r0").prefers("pool-b/r0");
    }

    @Test
    void describesTheModule(PolicyUnderTest policy) {
        org.assertj.core.api.Assertions.assertThat(policy.module().descriptor().name()).isEqualTo("route-preferred-pool");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> assertThat(policy.route(
                        AdmitInputBuilder.forTenant("acme").candidate("x", "p", "tgi", 0, Map.of()).buildRoute()))
                .failedWith(PolicyErrorKind.TRAP))
                .hasMessageContaining("Expected the call to fail with trap but got order [x]");
    }
}
