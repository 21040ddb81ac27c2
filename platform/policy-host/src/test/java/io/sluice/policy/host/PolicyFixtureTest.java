package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("POL-7 fixture documents parse strictly and load from a directory")
class PolicyFixtureTest {

    @Test
    void parsesAllExpectationKinds() {
        PolicyFixture f = PolicyFixture.parse("f.json", """
                {"name":"n","hook":"admit","input":{"a":1},
                 "expect":{"decision":"modify","modifications":{"max_tokens":5,"priority":"batch","labels":{"x":"y"}},
                           "reason_contains":"cap"}}""");
        assertThat(f.name()).isEqualTo("n");
        assertThat(f.hook()).isEqualTo(Hook.ADMIT);
        assertThat(f.inputJson()).isEqualTo("{\"a\":1}");
        assertThat(f.expect().decision()).isEqualTo(AdmitDecision.MODIFY);
        assertThat(f.expect().modifications()).isEqualTo(new Modifications(5, Priority.BATCH, null, Map.of("x", "y")));
        assertThat(f.expect().reasonContains()).isEqualTo("cap");

        PolicyFixture r = PolicyFixture.parse("r.json", "{\"hook\":\"route\",\"input\":{},\"expect\":{\"order\":[\"a\"]}}");
        assertThat(r.name()).as("defaults to the source name").isEqualTo("r.json");
        assertThat(r.expect().order()).containsExactly("a");

        PolicyFixture e = PolicyFixture.parse("e.json", "{\"hook\":\"admit\",\"input\":{},\"expect\":{\"error\":\"invalid_output\"}}");
        assertThat(e.expect().error()).isEqualTo(PolicyErrorKind.INVALID_OUTPUT);
    }

    @Test
    void rejectsMalformedFixtures() {
        assertThatThrownBy(() -> PolicyFixture.parse("a.json", "not json")).hasMessageStartingWith("a.json: not valid JSON");
        assertThatThrownBy(() -> PolicyFixture.parse("b.json", "{\"hook\":\"admit\",\"input\":{},\"expect\":{},\"extra\":1}"))
                .hasMessageContaining("unknown fixture field 'extra'");
        assertThatThrownBy(() -> PolicyFixture.parse("c.json", "{\"hook\":\"nope\",\"input\":{},\"expect\":{}}"))
                .hasMessageContaining("unknown hook 'nope'");
        assertThatThrownBy(() -> PolicyFixture.parse("d.json", "{\"hook\":\"admit\",\"input\":{},\"expect\":{\"decision\":\"ok\"}}"))
                .hasMessageContaining("unknown decision 'ok'");
        assertThatThrownBy(() -> PolicyFixture.parse("e.json", "{\"hook\":\"admit\",\"expect\":{}}"))
                .hasMessageContaining("'input' must be an object");
    }

    @Test
    void loadsJsonFilesOfADirectoryInNameOrder(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("b.json"), "{\"hook\":\"admit\",\"input\":{},\"expect\":{\"decision\":\"deny\"}}");
        Files.writeString(dir.resolve("a.json"), "{\"hook\":\"admit\",\"input\":{},\"expect\":{\"decision\":\"allow\"}}");
        Files.writeString(dir.resolve("notes.txt"), "ignored");
        List<PolicyFixture> all = PolicyFixture.loadDirectory(dir);
        assertThat(all).extracting(PolicyFixture::name).containsExactly("a.json", "b.json");
    }
}
