package io.sluice.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceException;
import io.sluice.devstack.EmbeddedDatabase;
import io.sluice.functions.schema.SchemaGate;
import java.nio.file.Path;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/** The functions refuse a database whose schema is older than the migrations they were built with (ADR 0024). */
class SchemaGateTest {
    @Test
    void refusesAnEmptyThenAnOlderSchemaNamingTheVersionsAndAcceptsItOnceMigrated() throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(null, 0)) {
            Flyway readOnly = Flyway.configure()
                    .dataSource(db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD)
                    .locations("filesystem:" + Path.of(System.getProperty("test.repo.root"), "db", "migration"))
                    .load();

            assertThatThrownBy(new SchemaGate(readOnly)::requireCurrent)
                    .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.error().message()).contains("no Sluice schema"));

            SharedDatabase.migrate(db, "7");
            SchemaGate gate = new SchemaGate(readOnly);
            assertThatThrownBy(gate::requireCurrent)
                    .isInstanceOfSatisfying(SluiceException.class, e -> {
                        assertThat(e.error().code()).isEqualTo(ErrorCode.DEPENDENCY_UNAVAILABLE);
                        assertThat(e.error().message()).contains("schema version 7").contains("need schema version")
                                .contains("migrations");
                    });

            SharedDatabase.migrate(db, null);
            gate.requireCurrent();
        }
    }
}
