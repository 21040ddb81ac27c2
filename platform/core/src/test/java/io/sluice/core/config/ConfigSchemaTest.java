package io.sluice.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.task.EngineKind;
import io.sluice.core.task.Priority;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The configuration's JSON Schema and reference are generated from the model and checked in. Run with
 * {@code -Dconfig.schema.write=true} to regenerate both after changing the model or its descriptions.
 */
class ConfigSchemaTest {
    private static final Path ROOT = Path.of(System.getProperty("test.repo.root", "../.."));
    private static final Path REFERENCE = ROOT.resolve("docs/configuration.md");

    private static final String FULL = """
            pools:
              - id: pool-a
                model: dev-tiny
                engine: vllm
                queue: {capacity: {interactive: 10}, full_policy: drop-lru}
                replicas:
                  - {id: r0, url: "http://127.0.0.1:9001", labels: {canary: "true"}}
            scheduling:
              priority_weights: {interactive: 4, batch: 1}
            admission:
              max_body_bytes: 2048
              policy: {call_timeout_ms: 20, module_bytes: 1000000}
            trust:
              policy: permissive
              roots: ["registry.example.com k1 MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"]
            defaults:
              sessions: {ttl_ms: 1000, max_turns: 3, cost_budget: 2.5}
            """;

    @Test
    @DisplayName("CFG-1 the checked-in JSON Schema and configuration reference are exactly what the model generates")
    void checkedInSchemaIsCurrent() throws Exception {
        String schema = ConfigSchema.generate();
        String reference = ConfigReference.splice(Files.readString(REFERENCE), ConfigReference.markdown(ConfigSchema.generateTree()));
        Path schemaFile = ROOT.resolve(ConfigSchema.CHECKED_IN_PATH);
        if (Boolean.getBoolean("config.schema.write")) {
            Files.createDirectories(schemaFile.getParent());
            Files.writeString(schemaFile, schema, StandardCharsets.UTF_8);
            Files.writeString(REFERENCE, reference, StandardCharsets.UTF_8);
        }
        assertThat(Files.exists(schemaFile)).as(schemaFile + " exists; generate it with -Dconfig.schema.write=true").isTrue();
        assertThat(Files.readString(schemaFile))
                .as("%s is stale: regenerate it with -Dconfig.schema.write=true", ConfigSchema.CHECKED_IN_PATH)
                .isEqualTo(schema);
        assertThat(Files.readString(REFERENCE))
                .as("the generated reference in docs/configuration.md is stale: regenerate it with -Dconfig.schema.write=true")
                .isEqualTo(reference);
    }

    @Test
    @DisplayName("CFG-1 generation is deterministic: byte-identical text, keys in model order, LF line ends")
    void generationIsDeterministic() {
        String first = ConfigSchema.generate();
        assertThat(ConfigSchema.generate()).isEqualTo(first);
        assertThat(first).doesNotContain("\r").endsWith("}\n");
        assertThat(first.indexOf("\"pools\"")).isLessThan(first.indexOf("\"scheduling\""));
        assertThat(first.indexOf("\"scheduling\"")).isLessThan(first.indexOf("\"admission\""));
    }

    @Test
    @DisplayName("CFG-1 one YAML file sets pools, engines, admission, trust and defaults; the loader and the schema accept it")
    void oneFileConfiguresEverySection() {
        SluiceConfig c = new ConfigLoader(true).parse(FULL);
        assertThat(c.pools().get(0).engine()).isEqualTo(EngineKind.VLLM);
        assertThat(c.pools().get(0).queue().fullPolicy()).isEqualTo(FullPolicy.DROP_LRU);
        assertThat(c.scheduling().weightOf(Priority.INTERACTIVE)).isEqualTo(4.0);
        assertThat(c.admission().maxBodyBytes()).isEqualTo(2048L);
        assertThat(c.admission().policy().callTimeoutMs()).isEqualTo(20L);
        assertThat(c.admission().policy().moduleBytes()).isEqualTo(1_000_000);
        assertThat(c.trust().policy()).isEqualTo(TrustPolicy.PERMISSIVE);
        assertThat(c.trust().roots()).hasSize(1);
        assertThat(c.defaults().sessions().maxTurns()).isEqualTo(3);
        assertThat(c.defaults().sessions().costBudget()).isEqualTo(2.5);
        assertThat(SchemaCheck.errors(FULL)).isEmpty();
    }

    @ParameterizedTest(name = "unknown field at {0}")
    @CsvSource(delimiter = '|', value = {
        "$.colour|pools:|colour: blue\\npools:",
        "$.pools[0].colour|    engine: vllm|    engine: vllm\\n    colour: blue",
        "$.pools[0].replicas[0].colour|labels: {canary: \"true\"}}|labels: {canary: \"true\"}, colour: blue}",
        "$.admission.policy.colour|call_timeout_ms: 20,|call_timeout_ms: 20, colour: blue,",
        "$.defaults.sessions.colour|ttl_ms: 1000,|ttl_ms: 1000, colour: {a: 1},",
        "$.trust.colour|  policy: permissive|  policy: permissive\\n  colour: [1, 2]",
    })
    @DisplayName("CFG-2 strict mode refuses an unknown field naming its path, the schema refuses it too, compat mode reports the path and ignores it")
    void unknownFields(String path, String anchor, String replacement) {
        String yaml = FULL.replace(anchor, replacement.replace("\\n", "\n"));
        assertThat(yaml).isNotEqualTo(FULL);
        assertThatThrownBy(() -> new ConfigLoader(true).parse(yaml))
                .isInstanceOf(ConfigLoader.ConfigException.class)
                .hasMessageStartingWith(path + ":")
                .hasMessageContaining("colour");
        assertThat(SchemaCheck.errors(yaml)).anySatisfy(e -> assertThat(e).contains("colour"));

        List<String> ignored = new ArrayList<>();
        SluiceConfig compat = new ConfigLoader(false, ignored::add).parse(yaml);
        assertThat(ignored).containsExactly(path);
        assertThat(compat).isEqualTo(new ConfigLoader(true).parse(FULL));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "$.pools[0].id|id: pool-a|id: Pool_A",
        "$.pools[0].replicas[0].url|http://127.0.0.1:9001|ftp://x",
        "$.pools[0].queue.capacity.interactive|interactive: 10}|interactive: -1}",
        "$.admission.max_body_bytes|max_body_bytes: 2048|max_body_bytes: 0",
        "$.admission.policy.call_timeout_ms|call_timeout_ms: 20|call_timeout_ms: -5",
        "$.defaults.sessions.max_turns|max_turns: 3|max_turns: 0",
        "$.trust.roots[0]|k1 MFkw|k1 not base64 MFkw",
        "$.trust.policy|policy: permissive|policy: lax",
    })
    @DisplayName("CFG-2 a bad value is refused by the loader naming its path, and by the schema")
    void badValues(String path, String anchor, String replacement) {
        String yaml = FULL.replace(anchor, replacement);
        assertThat(yaml).isNotEqualTo(FULL);
        assertThatThrownBy(() -> new ConfigLoader(true).parse(yaml))
                .isInstanceOf(ConfigLoader.ConfigException.class)
                .hasMessageStartingWith(path);
        assertThat(SchemaCheck.errors(yaml)).isNotEmpty();
    }
}
