package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("POL-2 decisions are a pure function of the input: WASI clock frozen at snapshot.time_ms, random seeded from the task id")
class DeterminismTest {
    private static final UUID TASK = UUID.fromString("6f1c1d0e-4f7e-4c59-9a59-6c1c2f5b8a10");

    private static String probe(PolicyHost host, AdmitInput input) {
        PolicyModule m = TestHosts.compile(host, TestPlugins.hostile("nondeterminism-probe"));
        AdmitOutcome o = host.admit(input.tenant().id(), m, input);
        assertThat(o.isDenied()).as("outcome %s", o).isTrue();
        return o.reason();
    }

    @Test
    void clocksReadTheSnapshotTime() {
        String reason = probe(TestHosts.relaxed(), Inputs.admit("det-a"));
        String nanos = String.format("%016x", Inputs.TIME_MS * 1_000_000L);
        assertThat(reason).startsWith("t=" + nanos + " m=" + nanos + " r=");
    }

    @Test
    void sameInputGivesSameOutputAcrossCallsInstancesAndHosts() {
        AdmitInput input = Inputs.admit("det-b", TASK, "dev-tiny", 256);
        Set<String> reasons = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            reasons.add(probe(TestHosts.relaxed(), input));
        }
        try (PolicyHost other = PolicyHost.create(TestHosts.relaxedLimits().build(), PolicyTelemetry.NONE)) {
            reasons.add(probe(other, input));
        }
        assertThat(reasons).hasSize(1);
    }

    @Test
    void randomDependsOnTheTaskIdOnly() {
        String a = probe(TestHosts.relaxed(), Inputs.admit("det-c", TASK, "dev-tiny", 256));
        String b = probe(TestHosts.relaxed(), Inputs.admit("det-c", UUID.fromString("00000000-0000-4000-8000-000000000001"), "dev-tiny", 256));
        String c = probe(TestHosts.relaxed(), Inputs.admit("det-d", TASK, "llama-3.1-8b-instruct", 512));
        assertThat(random(a)).isNotEqualTo(random(b));
        assertThat(random(a)).as("other tenant, model and limits, same task id").isEqualTo(random(c));
    }

    @Test
    void examplePolicyDecidesTheSameEveryTime() {
        PolicyHost host = TestHosts.relaxed();
        PolicyModule m = TestHosts.compile(host, TestPlugins.example("model-allowlist"));
        Set<String> outcomes = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            AdmitOutcome o = host.admit("det-e", m, Inputs.admit("det-e", TASK, "mixtral-8x7b", 256));
            outcomes.add(o.outcomeLabel() + "|" + o.reason() + "|" + o.modifications());
        }
        assertThat(outcomes).hasSize(1);
        assertThat(outcomes.iterator().next()).startsWith("deny|");
    }

    private static String random(String reason) {
        return reason.substring(reason.indexOf("r="));
    }
}
