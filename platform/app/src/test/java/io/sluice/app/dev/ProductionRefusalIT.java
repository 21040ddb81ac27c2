package io.sluice.app.dev;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.app.testing.Processes;
import io.sluice.devstack.DevIssuer;
import io.sluice.devstack.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The packaged app started in production with settings it must refuse stops before it touches the database: no
 * schema, no rows (issue 13: Flyway used to migrate before the dev issuer guard refused).
 */
class ProductionRefusalIT {

    /** Starts the packaged app in the prod profile with {@code extraEnv}; returns its exit code and log. */
    private static Map.Entry<Integer, String> run(Path work, EmbeddedDatabase db, Map<String, String> extraEnv) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Processes.java(), "-Xmx256m", "-jar", System.getProperty("test.app.jar")));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.put("QUARKUS_PROFILE", "prod");
        env.put("QUARKUS_HTTP_PORT", "0");
        env.put("QUARKUS_DATASOURCE_JDBC_URL", db.jdbcUrl());
        env.put("QUARKUS_DATASOURCE_REACTIVE_URL", db.reactiveUrl());
        env.put("QUARKUS_DATASOURCE_USERNAME", EmbeddedDatabase.USER);
        env.put("QUARKUS_DATASOURCE_PASSWORD", EmbeddedDatabase.PASSWORD);
        env.putAll(extraEnv);
        Path log = Files.createTempFile(work, "app-", ".log");
        Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the app did not refuse to start within 90 s; its log: " + Files.readString(log));
        }
        return Map.entry(p.exitValue(), Files.readString(log));
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
    @DisplayName("SEC-1 production refuses the dev issuer, and an unusable claim setting, before migrating the database")
    void refusalsComeBeforeAnySideEffect() throws Exception {
        Path work = Files.createTempDirectory("sluice-refusal-");
        try (EmbeddedDatabase db = EmbeddedDatabase.start(work.resolve("pgdata"), 0); DevIssuer issuer = DevIssuer.start(0)) {
            var devIssuer = run(work, db, Map.of("QUARKUS_OIDC_AUTH_SERVER_URL", issuer.issuerUrl()));
            assertThat(devIssuer.getKey()).as(devIssuer.getValue()).isNotZero();
            assertThat(devIssuer.getValue()).contains("refusing to start").contains("dev issuer");
            assertThat(tableExists(db, "flyway_schema_history")).isFalse();
            assertThat(tableExists(db, "tasks")).isFalse();

            var badClaim = run(work, db, Map.of("QUARKUS_OIDC_AUTH_SERVER_URL", issuer.issuerUrl().replace(DevIssuer.ISSUER_ID, "prod-realm"),
                    "SLUICE_SECURITY_TENANT_CLAIM", "tenant id"));
            assertThat(badClaim.getKey()).as(badClaim.getValue()).isNotZero();
            assertThat(badClaim.getValue()).contains("SLUICE_SECURITY_TENANT_CLAIM");
            assertThat(tableExists(db, "flyway_schema_history")).isFalse();
        }
    }
}
