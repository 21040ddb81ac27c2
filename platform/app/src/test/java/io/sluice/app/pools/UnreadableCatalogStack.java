package io.sluice.app.pools;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.sluice.app.testing.Processes;
import io.sluice.devstack.DevIssuer;
import io.sluice.devstack.EmbeddedDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;

/**
 * A stack of its own, apart from {@code SluiceStack}, for a pool's first load while the catalog cannot be read: its own
 * embedded PostgreSQL, migrated here by its owner, with the app connecting as {@link #ROLE}, a role that may use every
 * table but may not read {@code catalog_models}; the engine simulator with pool {@code pool-a} ({@code dev-tiny}, two
 * llama.cpp replicas) and an OIDC issuer. {@link #grantCatalog()} lets the role read the catalog.
 */
public class UnreadableCatalogStack implements QuarkusTestResourceLifecycleManager {
    static final String ROLE = "sluice_no_catalog";
    private static final String ROLE_PASSWORD = "no-catalog";

    private static EmbeddedDatabase db;
    private static DevIssuer issuer;
    private static Process sim;

    @Override
    public Map<String, String> start() {
        try {
            Path work = Files.createTempDirectory("sluice-unreadable-catalog-");
            db = EmbeddedDatabase.start(null, 0);
            issuer = DevIssuer.start(0);
            Processes.Simulator simulator = Processes.startSimulator(work, 2, 400);
            sim = simulator.process();
            // Migrated before the app starts, so that the app's own migration at start has nothing to create and may run
            // as a role that owns nothing.
            Flyway.configure().dataSource(db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD)
                    .locations("filesystem:" + System.getProperty("test.repo.root") + "/db/migration").load().migrate();
            execute(List.of(
                    "create role " + ROLE + " login password '" + ROLE_PASSWORD + "'",
                    "grant usage on schema public to " + ROLE,
                    "grant select, insert, update, delete on all tables in schema public to " + ROLE,
                    "grant usage, select, update on all sequences in schema public to " + ROLE,
                    "revoke select on catalog_models from " + ROLE));
            Map<String, String> props = new HashMap<>(db.quarkusProperties());
            props.put("quarkus.datasource.username", ROLE);
            props.put("quarkus.datasource.password", ROLE_PASSWORD);
            props.put("quarkus.oidc.auth-server-url", issuer.issuerUrl());
            props.put("sluice.config-file", simulator.config().toString());
            return props;
        } catch (Exception e) {
            stop();
            throw new IllegalStateException("could not start the stack with an unreadable catalog", e);
        }
    }

    /** Lets the app's role read the catalog from now on. */
    static void grantCatalog() {
        execute(List.of("grant select on catalog_models to " + ROLE));
    }

    static DevIssuer issuer() {
        return issuer;
    }

    private static void execute(List<String> statements) {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
                Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        try {
            Processes.stopAll(List.of(), sim, issuer, db);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
