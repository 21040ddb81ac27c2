package io.sluice.functions;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.sluice.devstack.EmbeddedDatabase;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Map;
import org.flywaydb.core.Flyway;

/**
 * The platform's side of the functions' tests: an embedded PostgreSQL migrated by the platform's own migrations
 * (db/migration, as the platform does at start), and catalog trust roots made of a key generated for this run. The
 * private key reaches the tests through a system property (test resources and tests do not share class loaders).
 */
public class SharedDatabase implements QuarkusTestResourceLifecycleManager {
    static final String REGISTRY = "registry.fn-test";
    static final String KEY_ID = "fn-ec-1";
    static final String PRIVATE_KEY_PROPERTY = "functionstest.ec";
    private EmbeddedDatabase db;

    @Override
    public Map<String, String> start() {
        try {
            db = EmbeddedDatabase.start(null, 0);
            migrate(db, null);
            KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
            ec.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair k = ec.generateKeyPair();
            System.setProperty(PRIVATE_KEY_PROPERTY, Base64.getEncoder().encodeToString(k.getPrivate().getEncoded()));
            return Map.of(
                    "quarkus.datasource.jdbc.url", db.jdbcUrl(),
                    "quarkus.datasource.username", EmbeddedDatabase.USER,
                    "quarkus.datasource.password", EmbeddedDatabase.PASSWORD,
                    "sluice.catalog.trust-roots", REGISTRY + " " + KEY_ID + " " + Base64.getEncoder().encodeToString(k.getPublic().getEncoded()),
                    "sluice.catalog.trust-policy", "strict");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs the platform's migrations up to {@code target} (null: all). */
    static void migrate(EmbeddedDatabase db, String target) {
        var conf = Flyway.configure()
                .dataSource(db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD)
                .locations("filesystem:" + Path.of(System.getProperty("test.repo.root"), "db", "migration"));
        if (target != null) {
            conf.target(target);
        }
        conf.load().migrate();
    }

    @Override
    public void stop() {
        try {
            if (db != null) {
                db.close();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
