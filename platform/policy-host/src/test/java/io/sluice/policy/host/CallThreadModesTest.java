package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("POL-2 POL-5 calls on the caller's thread and on workers enforce the same limits")
class CallThreadModesTest {

    private static PolicyHost host(boolean onCaller) {
        return PolicyHost.create(PolicyLimits.builder()
                        .callTimeout(Duration.ofMillis(50))
                        .queueTimeout(Duration.ofSeconds(2))
                        .instantiateTimeout(Duration.ofSeconds(5))
                        .quarantineAfter(0)
                        .onCallerThread(onCaller)
                        .build(),
                PolicyTelemetry.NONE);
    }

    @Test
    @DisplayName("POL-2 on the caller's thread an endless loop is interrupted at its limit and no interrupt leaks to the caller")
    void callerThreadTimeoutDoesNotLeakInterrupts() {
        try (PolicyHost host = host(true)) {
            PolicyModule loop = TestHosts.compile(host, TestPlugins.hostile("endless-loop"));
            for (int i = 0; i < 5; i++) {
                AdmitOutcome out = host.admit("t-loop", loop, Inputs.admit("t-loop"));
                assertThat(out.isError()).isTrue();
                assertThat(out.error().kind()).isEqualTo(PolicyErrorKind.TIMEOUT);
                assertThat(Thread.currentThread().isInterrupted()).as("interrupt flag after call %d", i).isFalse();
            }
            PolicyModule allow = TestHosts.compile(host, TestPlugins.example("model-allowlist"));
            assertThat(host.admit("t-ok", allow, Inputs.admit("t-ok")).isAllowed()).isTrue();
        }
    }

    @Test
    @DisplayName("POL-2 an interrupted caller is a cancelled call in both modes: REJECTED, its interrupt status kept")
    void interruptedCallerIsCancelled() {
        for (boolean onCaller : new boolean[] {true, false}) {
            try (PolicyHost host = host(onCaller)) {
                PolicyModule allow = TestHosts.compile(host, TestPlugins.example("model-allowlist"));
                Thread.currentThread().interrupt();
                AdmitOutcome out = host.admit("t-int", allow, Inputs.admit("t-int"));
                assertThat(Thread.interrupted()).as("caller's own interrupt kept (caller thread: %s)", onCaller).isTrue();
                assertThat(out.error().kind()).isEqualTo(PolicyErrorKind.REJECTED);
                assertThat(host.admit("t-int", allow, Inputs.admit("t-int")).isAllowed()).isTrue();
            }
        }
    }

    @Test
    @DisplayName("POL-2 on worker threads an endless loop is interrupted at its limit too")
    void workerModeTimeout() {
        try (PolicyHost host = host(false)) {
            PolicyModule loop = TestHosts.compile(host, TestPlugins.hostile("endless-loop"));
            AdmitOutcome out = host.admit("t-loop", loop, Inputs.admit("t-loop"));
            assertThat(out.error().kind()).isEqualTo(PolicyErrorKind.TIMEOUT);
            PolicyModule allow = TestHosts.compile(host, TestPlugins.example("model-allowlist"));
            assertThat(host.admit("t-ok", allow, Inputs.admit("t-ok")).isAllowed()).isTrue();
        }
    }
}
