package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("POL-7 POL-1 every example policy, built from source, passes its fixtures through the real host")
class ExamplePoliciesTest {

    static List<TestPlugins.Example> examples() {
        return TestPlugins.examples();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void examplePassesItsFixtures(TestPlugins.Example example) throws Exception {
        PolicyHost host = TestHosts.relaxed();
        assertThat(example.fixtures()).as("an example without fixtures proves nothing").isNotEmpty();

        // Upload path: the fixtures run during validation and would refuse the module if one failed.
        PolicyModule module = host.compile(example.wasm(), example.fixtures());
        assertThat(module.descriptor().name()).isEqualTo(example.name());

        // Traffic path: the same fixtures through runFixture, one by one, with outcomes to inspect.
        for (PolicyFixture f : example.fixtures()) {
            FixtureResult r = host.runFixture(module, f);
            assertThat(r.passed()).as("%s / %s: %s (logs %s)", example.name(), f.name(), r.failure(), r.logs()).isTrue();
            assertThat(r.outcomeLabel()).isNotEqualTo("error");
        }
    }
}
