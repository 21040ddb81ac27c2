package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("POL-2 default limits are the specified ones and limits are validated")
class PolicyLimitsTest {

    @Test
    void defaultsMatchTheSpecification() {
        PolicyLimits d = PolicyLimits.defaults();
        assertThat(d.callTimeout()).isEqualTo(Duration.ofMillis(10));
        assertThat(d.callWallTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(d.memoryBytes()).isEqualTo(16L * 1024 * 1024);
        assertThat(d.outputBytes()).isEqualTo(64 * 1024);
        assertThat(d.moduleBytes()).isEqualTo(4 * 1024 * 1024);
        assertThat(d.logBytesPerCall()).isEqualTo(4 * 1024);
        assertThat(d.tenantConcurrency()).isLessThan(d.workerThreads());
    }

    @Test
    void oneTenantCanNeverHoldEveryWorker() {
        assertThatThrownBy(() -> PolicyLimits.builder().workerThreads(4).tenantConcurrency(4).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("one tenant can never occupy every worker");
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> PolicyLimits.builder().callTimeout(Duration.ZERO).build())
                .hasMessageContaining("callTimeout");
        assertThatThrownBy(() -> PolicyLimits.builder().memoryBytes(1024).build()).hasMessageContaining("memoryBytes");
        assertThatThrownBy(() -> PolicyLimits.builder().outputBytes(10).build()).hasMessageContaining("outputBytes");
    }

    @Test
    @DisplayName("the wall-clock stop is never below the CPU-time limit; unless set, it follows a raised limit")
    void wallClockStopCoversTheCpuLimit() {
        assertThatThrownBy(() -> PolicyLimits.builder().callTimeout(Duration.ofMillis(50)).callWallTimeout(Duration.ofMillis(20)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("callWallTimeout");
        assertThat(PolicyLimits.builder().callTimeout(Duration.ofSeconds(5)).build().callWallTimeout()).isEqualTo(Duration.ofSeconds(5));
        PolicyLimits raised = PolicyLimits.defaults().toBuilder().callTimeout(Duration.ofSeconds(3)).build();
        assertThat(raised.callWallTimeout()).as("a derived stop stays derived on copies").isEqualTo(Duration.ofSeconds(3));
        PolicyLimits explicit = PolicyLimits.builder().callWallTimeout(Duration.ofSeconds(7)).build();
        assertThat(explicit.toBuilder().build().callWallTimeout()).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void toBuilderRoundTrips() {
        PolicyLimits l = PolicyLimits.builder().callTimeout(Duration.ofMillis(25)).logBytesPerCall(100).build();
        assertThat(l.toBuilder().build()).isEqualTo(l);
        PolicyLimits w = l.toBuilder().callWallTimeout(Duration.ofMillis(300)).build();
        assertThat(w.toBuilder().build()).isEqualTo(w);
    }
}
