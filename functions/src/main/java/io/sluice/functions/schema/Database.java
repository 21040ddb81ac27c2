package io.sluice.functions.schema;

import io.agroal.api.AgroalDataSource;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.SQLException;
import org.flywaydb.core.Flyway;
import org.jboss.logging.Logger;

/**
 * The platform's PostgreSQL, as the functions reach it: plain JDBC transactions, after the {@link SchemaGate} said the
 * schema is current. A function call is short and runs on a worker thread, so blocking JDBC is the simple fit.
 */
@ApplicationScoped
public class Database {
    private static final Logger LOG = Logger.getLogger(Database.class);

    @Inject
    AgroalDataSource dataSource;

    @Inject
    Flyway flyway;

    private volatile SchemaGate gate;

    /** Work done in one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code work} in one transaction on a current schema; commits when it returns, rolls back when it throws. */
    public <T> T inTransaction(String what, Work<T> work) {
        gate().requireCurrent();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            LOG.warnf("could not %s: %s", what, e.toString());
            throw new SluiceException(SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE, "the database is unreachable; could not " + what)
                    .withRetryAfter(1_000L), e);
        }
    }

    private SchemaGate gate() {
        SchemaGate g = gate;
        if (g == null) {
            g = new SchemaGate(flyway);
            gate = g;
        }
        return g;
    }
}
