package io.sluice.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.task.EngineKind;
import io.sluice.core.task.Priority;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
    private static final String VALID = """
            pools:
              - id: pool-a
                model: dev-tiny
                engine: llamacpp
                queue:
                  capacity: {interactive: 10, batch: 5}
                  full_policy: shed-low-priority
                replicas:
                  - {id: r0, url: "http://127.0.0.1:9001"}
            scheduling:
              priority_weights: {interactive: 8, batch: 1}
            """;

    @Test
    @DisplayName("a valid YAML file yields typed pools, queues, watchdog and scheduling weights")
    void parsesValid() {
        SluiceConfig c = new ConfigLoader(true).parse(VALID);
        assertThat(c.pools()).hasSize(1);
        var p = c.pools().get(0);
        assertThat(p.engine()).isEqualTo(EngineKind.LLAMACPP);
        assertThat(p.queue().capacityOf(Priority.BATCH)).isEqualTo(5);
        assertThat(p.queue().fullPolicy()).isEqualTo(FullPolicy.SHED_LOW_PRIORITY);
        assertThat(p.watchdog().idleMs()).isPositive();
        assertThat(c.scheduling().weightOf(Priority.INTERACTIVE)).isEqualTo(8.0);
    }

    @Test
    @DisplayName("CFG-2 strict mode rejects an unknown field with its path; compat mode ignores it")
    void strictUnknownField() {
        String yaml = VALID.replace("engine: llamacpp", "engine: llamacpp\n    colour: blue");
        assertThatThrownBy(() -> new ConfigLoader(true).parse(yaml))
                .isInstanceOf(ConfigLoader.ConfigException.class)
                .hasMessageContaining("$.pools[0]")
                .hasMessageContaining("colour");
        assertThat(new ConfigLoader(false).parse(yaml).pools()).hasSize(1);
    }

    @Test
    @DisplayName("CFG-2 semantic errors name the offending path")
    void semanticErrors() {
        assertThatThrownBy(() -> new ConfigLoader(true).parse(VALID.replace("engine: llamacpp", "engine: ollama")))
                .hasMessageContaining("$.pools[0].engine");
        assertThatThrownBy(() -> new ConfigLoader(true).parse(VALID.replace("http://127.0.0.1:9001", "ftp://x")))
                .hasMessageContaining("$.pools[0].replicas[0].url");
        assertThatThrownBy(() -> new ConfigLoader(true).parse(VALID.replace("id: pool-a", "id: Pool_A")))
                .hasMessageContaining("$.pools[0].id");
        assertThatThrownBy(() -> new ConfigLoader(true).parse(VALID.replace("shed-low-priority", "yolo")))
                .hasMessageContaining("full_policy");
    }

    @Test
    @DisplayName("SEC-4 a replica may carry an api_key; it is parsed, validated without being echoed, and masked in toString")
    void replicaApiKey() {
        String yaml = VALID.replace("{id: r0, url: \"http://127.0.0.1:9001\"}",
                "{id: r0, url: \"http://127.0.0.1:9001\", api_key: \"s3cr3t-key\"}");
        var r = new ConfigLoader(true).parse(yaml).pools().get(0).replicas().get(0);
        assertThat(r.apiKey()).isEqualTo("s3cr3t-key");
        assertThat(r.toString()).doesNotContain("s3cr3t-key");
        assertThat(new ConfigLoader(true).parse(VALID).pools().get(0).replicas().get(0).apiKey()).isNull();

        String bad = VALID.replace("{id: r0, url: \"http://127.0.0.1:9001\"}",
                "{id: r0, url: \"http://127.0.0.1:9001\", api_key: \"two words\"}");
        assertThatThrownBy(() -> new ConfigLoader(true).parse(bad))
                .hasMessageContaining("$.pools[0].replicas[0].api_key")
                .hasMessageNotContaining("two words");
    }

    @Test
    @DisplayName("SCH-6 a device_mask that is not a list of GPU indices and ranges is refused at its path with the reason")
    void deviceMaskSyntax() {
        String masked = VALID.replace("engine: llamacpp", "engine: llamacpp\n    device_mask: \"0-3,6\"");
        assertThat(new ConfigLoader(true).parse(masked).pools().get(0).deviceMask()).isEqualTo("0-3,6");
        assertThatThrownBy(() -> new ConfigLoader(true).parse(masked.replace("0-3,6", "all")))
                .isInstanceOf(ConfigLoader.ConfigException.class)
                .hasMessageContaining("$.pools[0].device_mask").hasMessageContaining("'all' is not a list of GPU indices");
        assertThatThrownBy(() -> new ConfigLoader(true).parse(masked.replace("0-3,6", "3-0")))
                .hasMessageContaining("$.pools[0].device_mask").hasMessageContaining("runs backwards");
    }

    @Test
    @DisplayName("SCH-6 one engine listed as two replicas of the same model is refused: its slots would count twice, its"
            + " tasks run on two pools' masks; one server hosting two models is two endpoints")
    void oneEngineListedTwice() {
        String twoPools = """
                pools:
                  - {id: a, model: m, engine: triton, device_mask: "0", replicas: [{id: r0, url: "http://gpu-host:8000"}]}
                  - {id: b, model: m, engine: triton, device_mask: "1", replicas: [{id: r0, url: "HTTP://GPU-HOST:8000/"}]}
                """;
        assertThatThrownBy(() -> new ConfigLoader(true).parse(twoPools))
                .isInstanceOf(ConfigLoader.ConfigException.class)
                .hasMessageContaining("$.pools[1].replicas[0].url").hasMessageContaining("engine of replica a/r0");
        String sameReplicaTwice = VALID.replace("- {id: r0, url: \"http://127.0.0.1:9001\"}",
                "- {id: r0, url: \"http://127.0.0.1:9001\"}\n      - {id: r1, url: \"http://127.0.0.1:9001\"}");
        assertThatThrownBy(() -> new ConfigLoader(true).parse(sameReplicaTwice))
                .hasMessageContaining("$.pools[0].replicas[1].url").hasMessageContaining("pool-a/r0");

        SluiceConfig twoModels = new ConfigLoader(true).parse(twoPools.replace("{id: b, model: m,", "{id: b, model: n,"));
        assertThat(twoModels.pools()).hasSize(2);
    }
}
