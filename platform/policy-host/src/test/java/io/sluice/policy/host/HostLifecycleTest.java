package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("POL-4 host lifecycle: async compile, eviction, undeclared hooks, JSON inputs, closed host")
class HostLifecycleTest {

    @Test
    void compileAsyncReportsRefusalsThroughTheFuture() {
        PolicyHost host = TestHosts.relaxed();
        assertThatThrownBy(() -> host.compileAsync(TestPlugins.hostile("bad-import-host-fn"), List.of()).join())
                .isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(PolicyValidationException.class)
                .hasMessageContaining("env.read_secret");
        assertThat(host.compileAsync(TestPlugins.example("model-allowlist"), List.of()).join().descriptor().name())
                .isEqualTo("model-allowlist");
    }

    @Test
    void evictionForgetsCompiledCodeAndInstances() throws Exception {
        try (PolicyHost host = PolicyHost.create(TestHosts.relaxedLimits().build(), PolicyTelemetry.NONE)) {
            PolicyModule m = host.compile(TestPlugins.example("model-allowlist"));
            assertThat(host.admit("ev", m, Inputs.admit("ev")).isAllowed()).isTrue();
            assertThat(host.poolStats("ev", m).idle()).isEqualTo(1);

            host.evict(m);

            assertThat(host.cached(m.digest())).isNull();
            assertThat(host.poolStats("ev", m)).isEqualTo(PoolStats.EMPTY);
            PolicyModule again = host.compile(TestPlugins.example("model-allowlist"));
            assertThat(again).isNotSameAs(m);
            assertThat(again.digest()).isEqualTo(m.digest());
        }
    }

    @Test
    void hookTheModuleDoesNotDeclareIsRejectedWithoutRunningIt() {
        PolicyHost host = TestHosts.relaxed();
        PolicyModule admitOnly = TestHosts.compile(host, TestPlugins.example("model-allowlist"));
        RouteOutcome r = host.route("hooks", admitOnly, Inputs.route("hooks"));
        assertThat(r.error().kind()).isEqualTo(PolicyErrorKind.REJECTED);
        assertThat(r.error().message()).contains("does not declare the route hook");
        assertThat(host.poolStats("hooks", admitOnly).created()).isZero();
    }

    @Test
    void jsonInputIsCheckedAgainstTheAbiSchema() {
        PolicyHost host = TestHosts.relaxed();
        PolicyModule m = TestHosts.compile(host, TestPlugins.example("model-allowlist"));
        String valid = UploadValidationTest.fixture("x", "dev-tiny", "allow");
        String input = valid.substring(valid.indexOf("\"input\":") + 8, valid.indexOf(",\n \"expect\""));
        assertThat(host.admitJson("acme", m, input).isAllowed()).isTrue();
        assertThatThrownBy(() -> host.admitJson("acme", m, input.replace("\"max_tokens\":256", "\"max_tokens\":-1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("admit.input.schema.json");
        assertThatThrownBy(() -> host.admitJson("globex", m, input)).hasMessageContaining("does not match the calling tenant");
    }

    @Test
    void closedHostRejectsCallsAndRefusesCompiles() throws Exception {
        PolicyHost host = PolicyHost.create(TestHosts.relaxedLimits().build(), PolicyTelemetry.NONE);
        PolicyModule m = host.compile(TestPlugins.example("model-allowlist"));
        host.close();
        assertThat(host.admit("closed", m, Inputs.admit("closed")).error().kind()).isEqualTo(PolicyErrorKind.REJECTED);
        assertThatThrownBy(() -> host.compile(TestPlugins.example("model-allowlist"))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void modulesOfAnotherHostAreRefused() {
        PolicyModule foreign = TestHosts.compile(TestHosts.relaxed(), TestPlugins.example("model-allowlist"));
        try (PolicyHost other = PolicyHost.create(TestHosts.relaxedLimits().build(), PolicyTelemetry.NONE)) {
            assertThatThrownBy(() -> other.admit("x", foreign, Inputs.admit("x")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not compiled by this policy host");
        }
    }
}
