package io.sluice.functions.schema;

import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;

/**
 * Refuses to work on a database whose schema is older than the migrations these functions were built with. The
 * platform owns the migrations (it runs them at start, first in a rolling upgrade); a function only compares the
 * database's Flyway history with the migrations on its class path and never migrates. A newer schema is accepted:
 * migrations are forward-only and additive, so during a rolling upgrade the previous functions keep working.
 *
 * <p>Once the schema was found current it stays so (a schema never goes back), so later calls cost nothing.
 * Thread-safe.
 */
public final class SchemaGate {
    private final Flyway flyway;
    private volatile boolean current;

    public SchemaGate(Flyway flyway) {
        this.flyway = flyway;
    }

    /**
     * Returns when the schema is current; otherwise throws {@code DEPENDENCY_UNAVAILABLE} naming the version found
     * and the version needed, so an operator knows to run the platform's migrations first.
     */
    public void requireCurrent() {
        if (current) {
            return;
        }
        MigrationInfoService info;
        try {
            info = flyway.info();
        } catch (RuntimeException e) {
            throw new SluiceException(SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE,
                    "the database is unreachable; could not read its schema version").withRetryAfter(1_000L), e);
        }
        MigrationInfo[] pending = info.pending();
        if (pending.length > 0) {
            MigrationInfo at = info.current();
            String found = at == null ? "no Sluice schema" : "schema version " + at.getVersion();
            String needed = pending[pending.length - 1].getVersion().toString();
            throw new SluiceException(SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE, "the database has " + found
                    + " but these functions need schema version " + needed
                    + "; start the platform (it migrates) or run its migrations before calling the functions"));
        }
        current = true;
    }
}
