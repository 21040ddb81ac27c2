package io.sluice.devstack;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Embedded PostgreSQL (zonky binaries from Maven, nothing downloaded at run time) for the embedded default and
 * for tests. With a data directory the cluster survives restarts; without one it is thrown away on close.
 *
 * <p>Not for production: production points Sluice at any PostgreSQL ≥ 14 by configuration.
 */
public final class EmbeddedDatabase implements AutoCloseable {
    public static final String USER = "postgres";
    public static final String PASSWORD = "postgres";
    public static final String DATABASE = "postgres";

    private final EmbeddedPostgres postgres;

    private EmbeddedDatabase(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * @param dataDir persistent data directory, or null for a throw-away cluster
     * @param port TCP port on loopback, 0 for any free one
     */
    public static EmbeddedDatabase start(Path dataDir, int port) throws IOException {
        EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
                .setPGStartupWait(java.time.Duration.ofSeconds(60))
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("max_connections", "100");
        if (port > 0) {
            b.setPort(port);
        }
        if (dataDir != null) {
            Files.createDirectories(dataDir);
            if ("root".equals(System.getProperty("user.name"))) {
                // As root, zonky runs PostgreSQL as 'nobody', which must be able to reach the cluster directory.
                makeTraversable(dataDir);
            }
            b.setDataDirectory(dataDir).setCleanDataDirectory(false);
        }
        return new EmbeddedDatabase(b.start());
    }

    private static void makeTraversable(Path dir) {
        for (Path p = dir.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            p.toFile().setExecutable(true, false);
        }
        // An initialised cluster must keep its 0700 mode or PostgreSQL refuses to start; only a fresh, empty
        // directory is opened up so that initdb (running as 'nobody') can take it over.
        if (!Files.exists(dir.resolve("PG_VERSION"))) {
            dir.toFile().setExecutable(true, false);
            dir.toFile().setWritable(true, false);
            dir.toFile().setReadable(true, false);
        }
    }

    public int port() {
        return postgres.getPort();
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + DATABASE;
    }

    public String reactiveUrl() {
        return "postgresql://127.0.0.1:" + port() + "/" + DATABASE;
    }

    /** Quarkus configuration properties pointing the platform at this database. */
    public Map<String, String> quarkusProperties() {
        return Map.of(
                "quarkus.datasource.jdbc.url", jdbcUrl(),
                "quarkus.datasource.reactive.url", reactiveUrl(),
                "quarkus.datasource.username", USER,
                "quarkus.datasource.password", PASSWORD);
    }

    @Override
    public void close() throws IOException {
        postgres.close();
    }
}
