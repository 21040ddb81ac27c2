package io.sluice.app.schema;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.devstack.EmbeddedDatabase;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Every Flyway migration of {@code db/migration}, on embedded PostgreSQL: each applies to an empty database, and each
 * applies to the previous version holding data without losing or changing a stored row. Each scenario runs in its own
 * schema of one database, so the steps do not see each other.
 *
 * <p>A migration added later without rows of its own here fails {@link #everyMigrationHasSeedRows}: the table below
 * must grow with the schema.
 */
class MigrationStepsTest {
    private static final Pattern VERSIONED = Pattern.compile("^V(\\d+)__.+\\.sql$");
    private static final String T1 = "11111111-1111-1111-1111-111111111111";
    private static final String S1 = "22222222-2222-2222-2222-222222222222";
    private static final String M1 = "33333333-3333-3333-3333-333333333333";
    private static final String HEX = "ab".repeat(32);
    private static final String HEX2 = "cd".repeat(32);

    /** Per version: rows written right after migrating to it, and queries whose answers must never change afterwards. */
    private record Seed(List<String> inserts, List<String> checks) {}

    private static final Map<Integer, Seed> SEEDS = new LinkedHashMap<>();

    static {
        SEEDS.put(1, new Seed(List.of(
                "insert into tenants (id, display_name, weight, tier, labels_json, may_override, registered)"
                        + " values ('acme', 'Acme', 2.5, 'gold', '{\"team\":\"x\"}', true, true)",
                "insert into sessions (id, tenant_id, created_at, expires_at, turns, max_turns, last_replica_id, kv_bytes)"
                        + " values ('" + S1 + "', 'acme', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 3, 64, 'pool-a/r0', 4096)",
                "insert into tasks (id, tenant_id, session_id, fingerprint, request_json, workload, model_ref, engine, priority, state,"
                        + " pool_id, replica_id, created_at, ended_at, tokens_out, decode_ms, error_code)"
                        + " values ('" + T1 + "', 'acme', '" + S1 + "', 'fp', '{\"model_ref\":\"m\"}', 'chat', 'm', 'vllm', 'batch',"
                        + " 'failed', 'pool-a', 'r0', '2026-01-01T00:00:01Z', '2026-01-01T00:00:02Z', 7, 120, 'CANCELED')",
                "insert into task_events (task_id, kind, detail_json) values ('" + T1 + "', 'accepted', '{\"q\":1}')"),
                List.of("select id, display_name, weight, tier, labels_json, may_override, registered from tenants",
                        "select id, tenant_id, created_at, expires_at, turns, max_turns, last_replica_id, kv_bytes, deleted_at from sessions",
                        "select id, tenant_id, session_id, fingerprint, request_json, workload, model_ref, engine, priority, state,"
                                + " pool_id, replica_id, created_at, ended_at, tokens_out, decode_ms, error_code from tasks",
                        "select task_id, kind, detail_json from task_events")));
        SEEDS.put(2, new Seed(List.of(
                "insert into policy_modules (digest, bytes) values ('sha256:" + HEX + "', '\\x0061736d')",
                "insert into policy_versions (tenant_id, name, version, digest, abi_version, hooks_json, needs_json, size_bytes,"
                        + " fixtures_passed, created_by) values ('acme', 'gate', '1.0.0', 'sha256:" + HEX + "', '1', '[\"admit\"]', '[]', 4, 2, 'ops')",
                "insert into policy_bindings (tenant_id, name, version, hooks_json, failure_mode, revision, updated_by)"
                        + " values ('acme', 'gate', '1.0.0', '[\"admit\"]', 'fail_closed', 3, 'ops')"),
                List.of("select digest, bytes from policy_modules",
                        "select tenant_id, name, version, digest, abi_version, hooks_json, needs_json, size_bytes, fixtures_passed from policy_versions",
                        "select tenant_id, name, version, hooks_json, failure_mode, revision, updated_by from policy_bindings")));
        SEEDS.put(3, new Seed(List.of(
                "insert into instances (id, advertised_url, lease_until) values ('i-1', 'http://10.0.0.1:8080', '2026-01-01T00:01:00Z')",
                "update tasks set owner_instance = 'i-1', event_id_bound = 99 where id = '" + T1 + "'"),
                List.of("select id, advertised_url, lease_until, resolved_at from instances",
                        "select id, owner_instance, event_id_bound from tasks")));
        SEEDS.put(4, new Seed(List.of(
                "update tenants set disabled = true, disabled_at = '2026-01-03T00:00:00Z' where id = 'acme'",
                "insert into tenant_quotas (tenant_id, max_concurrent, max_queued, rps, burst, tokens_per_minute)"
                        + " values ('acme', 4, 16, 10, 20, 60000)",
                "insert into tenant_identities (issuer, claim_value, tenant_id) values ('https://idp', 'acme-corp', 'acme')"),
                List.of("select id, disabled, disabled_at from tenants",
                        "select tenant_id, max_concurrent, max_queued, rps, burst, tokens_per_minute from tenant_quotas",
                        "select issuer, claim_value, tenant_id from tenant_identities")));
        SEEDS.put(5, new Seed(List.of(
                "insert into catalog_models (id, name, tag, source_registry, artifact_digest, manifest_json, signatures_json, sbom_json,"
                        + " verification_state, verification_policy, state, drain_deadline_at, archived, created_by)"
                        + " values ('" + M1 + "', 'llama', 'q4', 'registry.example', 'sha256:" + HEX + "', '{\"name\":\"llama\"}', '[]',"
                        + " '{\"bomFormat\":\"CycloneDX\"}', 'verified', 'strict', 'Deprecated', '2026-02-01T00:00:00Z', false, 'ops')",
                "insert into catalog_tag_resolutions (name, tag, digest, model_id, resolved_by)"
                        + " values ('llama', 'q4', 'sha256:" + HEX + "', '" + M1 + "', 'ops')",
                "insert into catalog_transitions (model_id, from_state, to_state, actor, reason)"
                        + " values ('" + M1 + "', 'Active', 'Deprecated', 'ops', 'superseded')",
                "insert into catalog_aliases (alias, targets_json, revision, updated_by)"
                        + " values ('chat', '[{\"model_id\":\"" + M1 + "\",\"percent\":100}]', 1, 'ops')",
                "insert into catalog_alias_history (alias, revision, targets_json, actor)"
                        + " values ('chat', 1, '[{\"model_id\":\"" + M1 + "\",\"percent\":100}]', 'ops')",
                "insert into artifacts (tenant_id, id, kind, canonical_json, content_json, tags_json, size_bytes)"
                        + " values ('acme', 'sha256:" + HEX + "', 'prompt', '{}', '{}', '[\"a\"]', 2)",
                "insert into artifacts (tenant_id, id, kind, canonical_json, content_json, size_bytes)"
                        + " values ('acme', 'sha256:" + HEX2 + "', 'prompt', '{\"x\":1}', '{\"x\":1}', 7)",
                "insert into artifact_lineage (tenant_id, child_id, position, parent_id)"
                        + " values ('acme', 'sha256:" + HEX2 + "', 0, 'sha256:" + HEX + "')",
                "insert into artifact_tags (tenant_id, artifact_id, tag) values ('acme', 'sha256:" + HEX + "', 'a')"),
                List.of("select id, name, tag, source_registry, artifact_digest, manifest_json, signatures_json, sbom_json,"
                                + " verification_state, verification_policy, state, drain_deadline_at, archived, created_by from catalog_models",
                        "select name, tag, digest, model_id, resolved_by from catalog_tag_resolutions",
                        "select model_id, from_state, to_state, actor, reason from catalog_transitions",
                        "select alias, targets_json, revision, updated_by from catalog_aliases",
                        "select alias, revision, targets_json, actor from catalog_alias_history",
                        "select tenant_id, id, kind, canonical_json, content_json, tags_json, size_bytes from artifacts",
                        "select tenant_id, child_id, position, parent_id from artifact_lineage",
                        "select tenant_id, artifact_id, tag from artifact_tags")));
        SEEDS.put(6, new Seed(List.of(
                "update sessions set tokens_budget = 1000, tokens_used = 10, cost_budget = 2.5 where id = '" + S1 + "'",
                "insert into pool_drains (pool_id, started_at, deadline_at, started_by)"
                        + " values ('pool-a', '2026-01-01T00:00:00Z', '2026-01-01T00:05:00Z', 'ops')"),
                List.of("select id, tokens_budget, time_budget_ms, cost_budget, tokens_used, time_used_ms, cost_used from sessions",
                        "select pool_id, started_at, deadline_at, started_by from pool_drains")));
        SEEDS.put(7, new Seed(List.of(
                "insert into catalog_continuing_sessions (model_id, session_id) values ('" + M1 + "', '" + S1 + "')"),
                List.of("select model_id, session_id from catalog_continuing_sessions")));
        SEEDS.put(8, new Seed(List.of(
                "update tenants set cancel_on_disconnect = true where id = 'acme'"),
                List.of("select id, cancel_on_disconnect from tenants")));
        SEEDS.put(9, new Seed(List.of(
                "insert into policy_shadows (tenant_id, name, version, created_by) select tenant_id, name, version, 'ops'"
                        + " from policy_versions",
                "insert into policy_decisions (tenant_id, name, version, decision, input_json, recorded_at)"
                        + " values ('acme', 'gate', '1.0.0', 'allow', '{}', '2026-01-01T00:00:00Z')",
                "insert into policy_shadow_results (tenant_id, name, candidate_version, active_version, active_decision, shadow_decision,"
                        + " error_kind, latency_us, input_json, recorded_at)"
                        + " values ('acme', 'gate', '1.1.0', '1.0.0', 'allow', 'deny', null, 12, '{}', '2026-01-01T00:00:00Z')",
                "insert into policy_reports (tenant_id, name, version, kind, generated_at)"
                        + " values ('acme', 'gate', '1.1.0', 'replay', '2026-01-01T00:00:00Z')",
                "insert into policy_settings (tenant_id, pin_requires_report_within_s) values ('acme', 86400)"),
                List.of("select tenant_id, name, version, created_by from policy_shadows",
                        "select tenant_id, name, version, decision, input_json, recorded_at from policy_decisions",
                        "select tenant_id, name, candidate_version, active_decision, shadow_decision, latency_us from policy_shadow_results",
                        "select tenant_id, name, version, kind, generated_at from policy_reports",
                        "select tenant_id, pin_requires_report_within_s from policy_settings")));
        SEEDS.put(10, new Seed(List.of(
                "insert into policy_refused_modules (digest, rules, reason, message, refused_at) values ('sha256:" + HEX2
                        + "', 'module=4194304', 'TOO_COMPLEX', 'module has a function body of 70000 bytes', '2026-01-01T00:00:00Z')"),
                List.of("select digest, rules, reason, message, refused_at from policy_refused_modules")));
        SEEDS.put(11, new Seed(List.of(
                "insert into pool_models (pool_id, configured_model, model_id, model_ref, model_name, artifact_digest, switched_at, switched_by)"
                        + " values ('pool-a', 'dev-tiny', '" + M1 + "', 'llama:q4', 'llama', 'sha256:" + HEX + "', '2026-01-01T00:00:00Z', 'ops')"),
                List.of("select pool_id, configured_model, model_id, model_ref, model_name, artifact_digest, switched_at, switched_by"
                        + " from pool_models")));
        SEEDS.put(12, new Seed(List.of(
                "update sessions set tokens_reserved = 40, tokens_left_at_last_admission = 990 where id = '" + S1 + "'",
                "update tasks set tokens_reserved = 40 where id = '" + T1 + "'"),
                List.of("select id, tokens_used, tokens_reserved, tokens_left_at_last_admission from sessions",
                        "select id, tokens_reserved from tasks")));
        SEEDS.put(13, new Seed(List.of(
                "insert into policy_decisions (tenant_id, name, hook, version, decision, input_json, recorded_at)"
                        + " values ('acme', 'gate', 'route', '1.0.0', 'pool-a>pool-b', '{\"candidates\":[]}', '2026-01-01T00:00:01Z')",
                "insert into policy_shadow_results (tenant_id, name, hook, candidate_version, active_version, active_decision,"
                        + " shadow_decision, error_kind, latency_us, input_json, recorded_at) values ('acme', 'gate', 'route', '1.1.0',"
                        + " '1.0.0', 'pool-a>pool-b', 'pool-b>pool-a', null, 9, '{\"candidates\":[]}', '2026-01-01T00:00:01Z')"),
                // The V9 rows read here too: written before the hook existed, they are admit rows.
                List.of("select tenant_id, name, hook, version, decision, input_json, recorded_at from policy_decisions",
                        "select tenant_id, name, hook, candidate_version, active_decision, shadow_decision, latency_us"
                                + " from policy_shadow_results")));
    }

    private static EmbeddedDatabase db;
    private static int schemas;

    @BeforeAll
    static void startDatabase() throws IOException {
        db = EmbeddedDatabase.start(null, 0);
    }

    @AfterAll
    static void stopDatabase() throws IOException {
        if (db != null) {
            db.close();
        }
    }

    @Test
    @DisplayName("migrations: every migration in db/migration has representative rows in this test")
    void everyMigrationHasSeedRows() throws Exception {
        assertThat(versions()).isNotEmpty().allSatisfy(v -> assertThat(SEEDS).as("rows for V" + v).containsKey(v));
        assertThat(versions()).containsExactlyElementsOf(new TreeSet<>(SEEDS.keySet()));
    }

    @Test
    @DisplayName("migrations: each version applies to an empty database, and its tables take its representative rows")
    void eachVersionAppliesToAnEmptyDatabase() throws Exception {
        for (int v : versions()) {
            String schema = freshSchema();
            Flyway flyway = flyway(schema, v);
            var result = flyway.migrate();
            assertThat(result.success).as("V%d from empty", v).isTrue();
            assertThat(flyway.info().current().getVersion().getVersion()).isEqualTo(Integer.toString(v));
            try (Connection c = connect(schema)) {
                // The rows of every version up to v: a migration that applied but left a table unusable fails here.
                // Versions may have gaps (numbers are assigned ahead of their migrations landing).
                for (int u : versions()) {
                    if (u <= v) {
                        insert(c, SEEDS.get(u));
                    }
                }
            }
        }
    }

    @Test
    @DisplayName("migrations: each version applies to the previous version holding data; no stored row is lost or changed")
    void eachVersionKeepsThePreviousVersionsRows() throws Exception {
        String schema = freshSchema();
        Map<String, List<String>> expected = new LinkedHashMap<>();
        for (int v : versions()) {
            var result = flyway(schema, v).migrate();
            assertThat(result.success).as("V%d over V%d with data", v, v - 1).isTrue();
            try (Connection c = connect(schema)) {
                for (Map.Entry<String, List<String>> e : expected.entrySet()) {
                    assertThat(rows(c, e.getKey())).as("after V%d: %s", v, e.getKey()).isEqualTo(e.getValue());
                }
                Seed seed = SEEDS.get(v);
                insert(c, seed);
                for (String check : seed.checks()) {
                    List<String> now = rows(c, check);
                    assertThat(now).as("V%d rows readable: %s", v, check).isNotEmpty();
                    expected.put(check, now);
                }
                // Earlier checks see the rows this version's updates touched: record them as they are now.
                for (String check : new ArrayList<>(expected.keySet())) {
                    expected.put(check, rows(c, check));
                }
            }
        }
    }

    private static Flyway flyway(String schema, int target) {
        return Flyway.configure()
                .dataSource(db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD)
                .schemas(schema)
                .defaultSchema(schema)
                .locations("classpath:db/migration")
                .target(Integer.toString(target))
                .load();
    }

    private static synchronized String freshSchema() {
        return "migration_step_" + (++schemas);
    }

    private static Connection connect(String schema) throws SQLException {
        Connection c = DriverManager.getConnection(db.jdbcUrl(), EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
        c.setSchema(schema);
        return c;
    }

    private static void insert(Connection c, Seed seed) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String sql : seed.inserts()) {
                st.executeUpdate(sql);
            }
        }
    }

    /** Every row of the query as text, in a stable order. */
    private static List<String> rows(Connection c, String query) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder b = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    b.append(rs.getMetaData().getColumnName(i)).append('=').append(rs.getString(i)).append(';');
                }
                out.add(b.toString());
            }
        }
        out.sort(String::compareTo);
        return out;
    }

    /** The versions of the migrations on the classpath, ascending. */
    private static List<Integer> versions() throws IOException, URISyntaxException {
        var url = MigrationStepsTest.class.getClassLoader().getResource("db/migration");
        assertThat(url).as("db/migration on the classpath").isNotNull();
        TreeSet<Integer> found = new TreeSet<>();
        try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
            files.forEach(f -> {
                Matcher m = VERSIONED.matcher(f.getFileName().toString());
                if (m.matches()) {
                    found.add(Integer.parseInt(m.group(1)));
                }
            });
        }
        return new ArrayList<>(found);
    }
}
