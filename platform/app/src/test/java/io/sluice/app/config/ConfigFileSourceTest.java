package io.sluice.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration file feeds the platform's typed settings through a real SmallRye configuration built the way
 * Quarkus builds it: {@code application.properties} values (ordinal 250), the file, and environment variables (300).
 */
class ConfigFileSourceTest {
    @TempDir
    Path dir;

    private static final String POOLS = """
            pools:
              - id: pool-a
                model: dev-tiny
                engine: llamacpp
                replicas: [{id: r0, url: "http://127.0.0.1:9001"}]
            """;

    private SluiceAppConfig build(String yaml, Map<String, String> env) throws Exception {
        Path file = dir.resolve("sluice.yaml");
        Files.writeString(file, yaml);
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(Map.of(
                        "sluice.config-file", file.toString(),
                        "sluice.sessions.max-turns", "8",
                        "sluice.catalog.trust-policy", "strict"), "application.properties", 250))
                .withSources(new EnvConfigSource(env, 300))
                .withSources(new ConfigFileSourceFactory())
                .withMapping(SluiceAppConfig.class)
                .build();
        return config.getConfigMapping(SluiceAppConfig.class);
    }

    @Test
    @DisplayName("CFG-1 the file's admission, trust and defaults sections become the platform's settings; the environment still overrides them")
    void sectionsBecomeSettings() throws Exception {
        SluiceAppConfig c = build(POOLS + """
                admission:
                  max_body_bytes: 4096
                  policy: {call_timeout_ms: 25, module_bytes: 100000}
                trust:
                  policy: permissive
                  roots: ["registry.example.com k1 MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE", "other.example k2 MCowBQYDK2VwAyEA"]
                defaults:
                  sessions: {ttl_ms: 1000, max_turns: 3, tokens_budget: 500, cost_per_1k_output_tokens: 0.5}
                """, Map.of("SLUICE_SESSIONS_TTL_MS", "2000"));
        assertThat(c.http().maxBodyBytes()).isEqualTo(4096);
        assertThat(c.policy().callTimeoutMs()).isEqualTo(25);
        assertThat(c.policy().moduleBytes()).isEqualTo(100_000);
        assertThat(c.policy().callWallTimeoutMs()).as("unset in the file: the platform default").isEqualTo(1000);
        assertThat(c.catalog().trustPolicy()).isEqualTo("permissive");
        assertThat(c.catalog().trustRoots()).hasValueSatisfying(r -> assertThat(r).containsExactly(
                "registry.example.com k1 MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE", "other.example k2 MCowBQYDK2VwAyEA"));
        assertThat(c.sessions().maxTurns()).as("the file overrides application.properties").isEqualTo(3);
        assertThat(c.sessions().tokensBudget()).hasValue(500L);
        assertThat(c.sessions().costPer1kOutputTokens()).isEqualTo(0.5);
        assertThat(c.sessions().ttlMs()).as("an environment variable overrides the file").isEqualTo(2000);
    }

    @Test
    @DisplayName("a file without the optional sections leaves every platform setting as it was")
    void absentSectionsChangeNothing() throws Exception {
        SluiceAppConfig c = build(POOLS, Map.of());
        assertThat(c.sessions().maxTurns()).isEqualTo(8);
        assertThat(c.catalog().trustPolicy()).isEqualTo("strict");
        assertThat(c.catalog().trustRoots()).isEmpty();
        assertThat(c.http().maxBodyBytes()).isEqualTo(1_048_576);
    }

    @Test
    @DisplayName("CFG-2 a refused file stops the configuration from being built, naming the path and the reason")
    void badFileRefused() {
        assertThatThrownBy(() -> build(POOLS + "admission: {max_body_bytes: -1}\n", Map.of()))
                .hasStackTraceContaining("refusing to start")
                .hasStackTraceContaining("$.admission.max_body_bytes: must be positive");
        assertThatThrownBy(() -> build(POOLS.replace("engine: llamacpp", "engine: llamacpp\n    colour: blue"), Map.of()))
                .hasStackTraceContaining("$.pools[0].colour");
    }
}
