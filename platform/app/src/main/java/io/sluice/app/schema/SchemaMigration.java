package io.sluice.app.schema;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.flywaydb.core.Flyway;
import org.jboss.logging.Logger;

/**
 * Migrates the database at start-up, after the start-up refusals (the dev issuer guard, the OIDC settings check) and
 * before anything reads a table. Flyway's own migrate-at-start would run before every start-up observer, so a
 * process that is about to refuse to start would already have changed the database (issue 13).
 */
@ApplicationScoped
public class SchemaMigration {
    private static final Logger LOG = Logger.getLogger(SchemaMigration.class);

    @Inject
    Flyway flyway;

    void migrate(@Observes @Priority(10) StartupEvent ev) {
        var result = flyway.migrate();
        LOG.infof("database schema at version %s (%d migration(s) applied now)", result.targetSchemaVersion == null
                ? flyway.info().current() == null ? "none" : flyway.info().current().getVersion().getVersion()
                : result.targetSchemaVersion, result.migrationsExecuted);
    }
}
