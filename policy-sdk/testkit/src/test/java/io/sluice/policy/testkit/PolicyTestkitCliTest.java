package io.sluice.policy.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@DisplayName("POL-7 test kit CLI runs a plugin against fixture files with the platform's host and limits")
class PolicyTestkitCliTest {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {}

    private static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = PolicyTestkitCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void passingFixturesExitZero() throws Exception {
        Path wasm = Corpus.example("max-tokens-by-tier", dir);
        Run r = cli("--wasm", wasm.toString(), "--fixtures", dir.resolve("max-tokens-by-tier/fixtures").toString());

        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("module max-tokens-by-tier 1.0.0 (abi 1.1) sha256=")
                .contains("upload check with fixtures: ok")
                .containsPattern("PASS  silver asks for 8000 and is capped at 1024 +modify +[0-9.]+ us  \"max_tokens 8000 capped at 1024 for tier silver\"")
                .contains("fixtures: 4 passed, 0 failed");
    }

    @Test
    void failingFixtureExitsOneAndSaysWhy() throws Exception {
        Path wasm = Corpus.example("model-allowlist", dir);
        Run r = cli("--wasm", wasm.toString(), "--fixtures", dir.resolve("model-allowlist/fixtures").toString(), "--tenant", "globex");

        assertThat(r.exit()).isEqualTo(PolicyTestkitCli.FIXTURE_FAILED);
        assertThat(r.out()).contains("FAIL  a model missing from the tenant's allowed-models label is denied")
                .contains("expected the reason to contain \"mixtral-8x7b is not on the allow-list of tenant acme\"")
                .contains("tenant globex")
                .contains("upload check with fixtures: fixture_failed");
    }

    @Test
    void refusedModuleExitsTwo() throws Exception {
        Corpus.example("model-allowlist", dir);
        Path wasm = Corpus.hostile("bad-import-wasi-fs", dir);
        Run r = cli("--wasm", wasm.toString(), "--fixtures", dir.resolve("model-allowlist/fixtures").toString());

        assertThat(r.exit()).isEqualTo(PolicyTestkitCli.REFUSED);
        assertThat(r.out()).startsWith("REFUSED ").contains("forbidden_import").contains("fd_prestat_get");
    }

    @Test
    void jsonOutputCarriesEveryFixture() throws Exception {
        Path wasm = Corpus.example("route-preferred-pool", dir);
        Run r = cli("--json", "--wasm", wasm.toString(), "--fixtures", dir.resolve("route-preferred-pool/fixtures").toString());

        assertThat(r.exit()).isZero();
        JsonNode root = JsonMapper.builder().build().readTree(r.out());
        assertThat(root.path("module").path("name").stringValue()).isEqualTo("route-preferred-pool");
        assertThat(root.path("passed").intValue()).isEqualTo(3);
        assertThat(root.path("failed").intValue()).isZero();
        JsonNode first = root.path("fixtures").get(0);
        assertThat(first.path("outcome").stringValue()).isEqualTo("ordered");
        assertThat(first.path("latency_us").isNumber()).isTrue();
    }

    @Test
    void badArgumentsPrintUsage() {
        Run r = cli("--wasm");
        assertThat(r.exit()).isEqualTo(PolicyTestkitCli.USAGE);
        assertThat(r.err()).contains("usage: java -jar sluice-policy-testkit.jar");
        assertThat(cli("--wasm", "x.wasm").err()).contains("--fixtures are required");
        assertThat(cli("--wasm", dir.resolve("missing.wasm").toString(), "--fixtures", dir.toString()).exit()).isEqualTo(PolicyTestkitCli.USAGE);
    }
}
