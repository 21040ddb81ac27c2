package io.sluice.policy.host.internal;

import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.ExecutionMode;
import io.sluice.policy.host.Inputs;
import io.sluice.policy.host.PolicyErrorKind;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyTelemetry;
import io.sluice.policy.host.PolicyValidationException;
import io.sluice.policy.host.PoolStats;
import io.sluice.policy.host.TestPlugins;
import io.sluice.policy.host.internal.call.ThreadCpuClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Quarantine periods are read from the host's wall clock. The test steps that clock past a period instead of
 * sleeping through it, so the outcome depends neither on the machine's speed nor on luck.
 */
class QuarantineTest {
    private static final Duration QUARANTINE = Duration.ofSeconds(30);

    @Test
    @DisplayName("POL-5 a plugin that keeps running out of time is quarantined for its pair only, and a second trip doubles the period")
    void repeatedTimeoutsQuarantineThePair() throws Exception {
        SteppedClock clock = new SteppedClock();
        PolicyLimits limits = PolicyLimits.builder().quarantineAfter(3).quarantineTime(QUARANTINE).build();
        try (HostRuntime host = new HostRuntime(limits, ExecutionMode.COMPILED, PolicyTelemetry.NONE, clock, ThreadCpuClock.jvm())) {
            PolicyModule loop = compile(host, TestPlugins.hostile("endless-loop"));
            for (int i = 0; i < 3; i++) {
                assertThat(host.admit("q-a", loop, Inputs.admit("q-a")).error().kind()).isEqualTo(PolicyErrorKind.TIMEOUT);
            }
            AdmitOutcome quarantined = host.admit("q-a", loop, Inputs.admit("q-a"));
            assertThat(quarantined.error().kind()).isEqualTo(PolicyErrorKind.REJECTED);
            assertThat(quarantined.error().message()).contains("quarantined").contains("3 calls in a row");
            long createdBefore = settled(host, "q-a", loop).created();

            assertThat(host.admit("q-b", loop, Inputs.admit("q-b")).error().kind())
                    .as("another tenant's pair is judged on its own")
                    .isEqualTo(PolicyErrorKind.TIMEOUT);

            clock.step(QUARANTINE.minusSeconds(1));
            assertThat(host.admit("q-a", loop, Inputs.admit("q-a")).error().kind())
                    .as("one second before the period ends the pair is still quarantined")
                    .isEqualTo(PolicyErrorKind.REJECTED);

            clock.step(Duration.ofSeconds(1));
            assertThat(host.admit("q-a", loop, Inputs.admit("q-a")).error().kind())
                    .as("after the quarantine the plugin runs again")
                    .isEqualTo(PolicyErrorKind.TIMEOUT);
            AdmitOutcome again = host.admit("q-a", loop, Inputs.admit("q-a"));
            assertThat(again.error().kind()).isEqualTo(PolicyErrorKind.REJECTED);
            assertThat(again.error().message())
                    .as("the second trip doubles the period to 60 s")
                    .containsPattern("for another (59[0-9]{3}|60000) ms");
            assertThat(settled(host, "q-a", loop).created()).as("one fresh instance replaced the one stopped after the period").isEqualTo(createdBefore + 1);
        }
    }

    /** Real time plus an offset the test adds to; call deadlines keep working because the clock still advances. */
    private static final class SteppedClock implements LongSupplier {
        private final AtomicLong offsetNanos = new AtomicLong();

        void step(Duration by) {
            offsetNanos.addAndGet(by.toNanos());
        }

        @Override
        public long getAsLong() {
            return System.nanoTime() + offsetNanos.get();
        }
    }

    /** Waits, bounded, until no call of the pair is running: a stopped worker unwinds asynchronously. */
    private static PoolStats settled(HostRuntime host, String tenant, PolicyModule module) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        PoolStats s = host.poolStats(tenant, module);
        while (s.inUse() > 0) {
            assertThat(System.nanoTime() - deadline).as("pair %s still has a call running after 10 s", tenant).isNegative();
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
            s = host.poolStats(tenant, module);
        }
        return s;
    }

    private static PolicyModule compile(HostRuntime host, byte[] wasm) {
        try {
            return host.compile(wasm, List.of());
        } catch (PolicyValidationException e) {
            throw new AssertionError("module refused: " + e.getMessage(), e);
        }
    }
}
