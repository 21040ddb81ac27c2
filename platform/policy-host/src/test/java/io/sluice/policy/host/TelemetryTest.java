package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("POL-6 every decision is reported with tenant, plugin name/version/digest, hook, outcome, reason, latency and logs")
class TelemetryTest {

    static final class Recorder implements PolicyTelemetry {
        final List<DecisionRecord> decisions = new CopyOnWriteArrayList<>();
        final List<PolicyErrorKind> errors = new CopyOnWriteArrayList<>();

        @Override
        public void onDecision(DecisionRecord record) {
            decisions.add(record);
        }

        @Override
        public void onError(PolicyErrorKind kind, DecisionRecord record) {
            errors.add(kind);
        }
    }

    @Test
    void reportsDecisionsAndErrors() throws Exception {
        Recorder rec = new Recorder();
        try (PolicyHost host = PolicyHost.create(TestHosts.relaxedLimits().build(), rec)) {
            PolicyModule allow = host.compile(TestPlugins.example("model-allowlist"));
            PolicyModule trap = host.compile(TestPlugins.hostile("trap"));
            PolicyModule router = host.compile(TestPlugins.example("route-preferred-pool"));
            assertThat(rec.decisions).as("upload-time describe calls are not traffic").isEmpty();

            host.admit("tel", allow, Inputs.admit("tel", java.util.UUID.fromString("00000000-0000-4000-8000-00000000000a"), "mixtral-8x7b", 256));
            host.admit("tel", trap, Inputs.admit("tel"));
            host.route("tel", router, Inputs.route("tel"));

            assertThat(rec.decisions).hasSize(3);
            DecisionRecord deny = rec.decisions.get(0);
            assertThat(deny.tenantId()).isEqualTo("tel");
            assertThat(deny.taskId()).isEqualTo("00000000-0000-4000-8000-00000000000a");
            assertThat(deny.policy()).isEqualTo(allow.ref());
            assertThat(deny.hook()).isEqualTo(Hook.ADMIT);
            assertThat(deny.outcome()).isEqualTo("deny");
            assertThat(deny.errorKind()).isNull();
            assertThat(deny.reason()).contains("mixtral-8x7b");
            assertThat(deny.latencyNanos()).isPositive();

            DecisionRecord failed = rec.decisions.get(1);
            assertThat(failed.outcome()).isEqualTo("error");
            assertThat(failed.errorKind()).isEqualTo(PolicyErrorKind.TRAP);
            assertThat(failed.policy().name()).isEqualTo("trap");
            assertThat(rec.errors).containsExactly(PolicyErrorKind.TRAP);

            DecisionRecord routed = rec.decisions.get(2);
            assertThat(routed.hook()).isEqualTo(Hook.ROUTE);
            assertThat(routed.outcome()).isEqualTo("ordered");
        }
    }

    @Test
    void aFailingListenerNeverChangesTheOutcome() throws Exception {
        PolicyTelemetry broken = new PolicyTelemetry() {
            @Override
            public void onDecision(DecisionRecord record) {
                throw new IllegalStateException("metrics backend down");
            }
        };
        try (PolicyHost host = PolicyHost.create(TestHosts.relaxedLimits().build(), broken)) {
            PolicyModule allow = host.compile(TestPlugins.example("model-allowlist"));
            assertThat(host.admit("tel2", allow, Inputs.admit("tel2")).isAllowed()).isTrue();
        }
    }
}
