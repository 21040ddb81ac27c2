package io.sluice.app.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.app.testing.Processes;
import io.sluice.devstack.DevIssuer;
import io.sluice.devstack.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The packaged app, started in production with a configuration file it must refuse, stops with a non-zero exit code
 * naming the file, the path of the offending field and the reason, before it opens a port or migrates the database.
 */
class ConfigRefusalIT {
    private static final String VALID = """
            pools:
              - id: pool-a
                model: dev-tiny
                engine: llamacpp
                replicas: [{id: r0, url: "http://127.0.0.1:9"}]
            """;

    private record Outcome(int exitCode, String log) {}

    private static Outcome run(Path work, EmbeddedDatabase db, DevIssuer issuer, Path config, Map<String, String> extraEnv)
            throws Exception {
        ProcessBuilder pb = new ProcessBuilder(List.of(Processes.java(), "-Xmx256m", "-jar", System.getProperty("test.app.jar")));
        Map<String, String> env = pb.environment();
        env.put("QUARKUS_PROFILE", "prod");
        env.put("QUARKUS_HTTP_PORT", "0");
        env.put("QUARKUS_DATASOURCE_JDBC_URL", db.jdbcUrl());
        env.put("QUARKUS_DATASOURCE_REACTIVE_URL", db.reactiveUrl());
        env.put("QUARKUS_DATASOURCE_USERNAME", EmbeddedDatabase.USER);
        env.put("QUARKUS_DATASOURCE_PASSWORD", EmbeddedDatabase.PASSWORD);
        // Not the dev issuer's id, so that only the configuration file can be the reason for a refusal.
        env.put("QUARKUS_OIDC_AUTH_SERVER_URL", issuer.issuerUrl().replace(DevIssuer.ISSUER_ID, "prod-realm"));
        env.put("SLUICE_CONFIG_FILE", config.toString());
        env.putAll(extraEnv);
        Path log = Files.createTempFile(work, "app-", ".log");
        Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the app did not refuse to start within 90 s; its log: " + Files.readString(log));
        }
        return new Outcome(p.exitValue(), Files.readString(log));
    }

    private static boolean tableExists(EmbeddedDatabase db, String table) throws Exception {
        try (var c = DriverManager.getConnection(db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
                var st = c.prepareStatement("select to_regclass(?) is not null")) {
            st.setString(1, table);
            try (var rs = st.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    @Test
    @DisplayName("CFG-2 a bad configuration file exits non-zero with the file, the field's path and the reason, before any port opens or migration runs")
    void badConfigurationRefusesTheStart() throws Exception {
        Path work = Files.createTempDirectory("sluice-config-refusal-");
        try (EmbeddedDatabase db = EmbeddedDatabase.start(work.resolve("pgdata"), 0); DevIssuer issuer = DevIssuer.start(0)) {
            Path unknownField = work.resolve("unknown-field.yaml");
            Files.writeString(unknownField, VALID.replace("engine: llamacpp", "engine: llamacpp\n    colour: blue"));
            Outcome strict = run(work, db, issuer, unknownField, Map.of());
            assertThat(strict.exitCode()).as(strict.log()).isNotZero();
            assertThat(strict.log()).contains("refusing to start").contains(unknownField.toString()).contains("$.pools[0].colour")
                    .doesNotContain("Listening on");

            Path badValue = work.resolve("bad-value.yaml");
            Files.writeString(badValue, VALID + "defaults:\n  sessions: {max_turns: 0}\n");
            Outcome semantic = run(work, db, issuer, badValue, Map.of());
            assertThat(semantic.exitCode()).as(semantic.log()).isNotZero();
            assertThat(semantic.log()).contains("refusing to start").contains(badValue + ": $.defaults.sessions.max_turns: must be positive")
                    .doesNotContain("Listening on");

            assertThat(tableExists(db, "flyway_schema_history")).as("no migration ran").isFalse();
            assertThat(tableExists(db, "tasks")).isFalse();
        }
    }
}
