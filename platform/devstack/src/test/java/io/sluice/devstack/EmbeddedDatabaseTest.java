package io.sluice.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EmbeddedDatabaseTest {

    @Test
    @DisplayName("the embedded default keeps its data across a restart of PostgreSQL")
    void dataSurvivesRestart() throws Exception {
        Path dir = Files.createTempDirectory("sluice-pg-").resolve("pgdata");
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir, 0);
                Connection c = DriverManager.getConnection(db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
                Statement s = c.createStatement()) {
            s.execute("create table kept(v text)");
            s.execute("insert into kept values ('still here')");
        }
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir, 0);
                Connection c = DriverManager.getConnection(db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select v from kept")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("still here");
        }
    }
}
