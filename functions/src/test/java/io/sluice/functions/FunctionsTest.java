package io.sluice.functions;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.sluice.core.catalog.DsseVerifier;
import io.sluice.devstack.EmbeddedDatabase;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;
import org.hawkular.agent.prometheus.text.TextPrometheusMetricDataParser;
import org.hawkular.agent.prometheus.types.Counter;
import org.hawkular.agent.prometheus.types.Metric;
import org.hawkular.agent.prometheus.types.MetricFamily;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The three functions through their HTTP and CloudEvent entries, against the platform's migrated schema in an embedded
 * PostgreSQL, a real plugin built from policy-examples and catalog entries signed with a key made for this run. One
 * Quarkus start for all of them; each test writes its own tenant and entries.
 */
@QuarkusTest
@QuarkusTestResource(SharedDatabase.class)
class FunctionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    // ------------------------------------------------------------------------------------------ policy-dry-run

    @Test
    @DisplayName("FN-1 policy-dry-run evaluates a stored plugin version: decision, logs and latency, allow and deny")
    void policyDryRunDecidesWithAStoredVersion() throws Exception {
        String tenant = "fn-dry-" + UUID.randomUUID().toString().substring(0, 8);
        byte[] module = wasm("examples/model-allowlist");
        storePolicy(tenant, "allowlist", "1.0.0", module);
        String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(module));

        given().contentType(ContentType.JSON).body(dryRun(tenant, "allowlist", "1.0.0", "dev-tiny"))
                .post("/policy-dry-run")
                .then().statusCode(200)
                .body("hook", equalTo("admit"))
                .body("decision", equalTo("allow"))
                .body("logs", notNullValue())
                .body("latency_us", greaterThan(0f))
                .body("policy.name", equalTo("model-allowlist"))
                .body("policy.digest", equalTo(hex));

        given().contentType(ContentType.JSON).body(dryRun(tenant, "allowlist", "1.0.0", "not-on-the-list"))
                .post("/policy-dry-run")
                .then().statusCode(200)
                .body("decision", equalTo("deny"))
                .body("reason", containsString("not-on-the-list"));
    }

    @Test
    @DisplayName("FN-1 policy-dry-run evaluates module bytes given inline on route inputs: the plugin's order")
    void policyDryRunOrdersRouteCandidatesWithAnInlineModule() throws Exception {
        var fixture = JSON.readTree(java.nio.file.Files.readString(java.nio.file.Path.of(System.getProperty("test.repo.root"),
                "policy-examples", "route-preferred-pool", "fixtures", "preferred-pool-first.json")));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("module_base64", Base64.getEncoder().encodeToString(wasm("examples/route-preferred-pool")));
        body.put("hook", "route");
        body.put("input", JSON.treeToValue(fixture.get("input"), Map.class));
        List<String> expected = JSON.convertValue(fixture.at("/expect/order"), List.class);

        Response r = given().contentType(ContentType.JSON).body(body).post("/policy-dry-run");
        r.then().statusCode(200).body("hook", equalTo("route")).body("decision", equalTo("order"));
        assertThat(r.jsonPath().getList("order", String.class)).isEqualTo(expected);
    }

    @Test
    @DisplayName("FN-1 policy-dry-run answers typed errors: unknown version, unknown hook, malformed JSON, other tenant, bad module")
    void policyDryRunRefusesBadInputWithTypedErrors() throws Exception {
        String tenant = "fn-bad-" + UUID.randomUUID().toString().substring(0, 8);
        storePolicy(tenant, "allowlist", "1.0.0", wasm("examples/model-allowlist"));

        given().contentType(ContentType.JSON).body(dryRun(tenant, "allowlist", "9.9.9", "dev-tiny"))
                .post("/policy-dry-run")
                .then().statusCode(404).body("code", equalTo("NOT_FOUND")).body("message", containsString("9.9.9"));

        Map<String, Object> wrongHook = dryRun(tenant, "allowlist", "1.0.0", "dev-tiny");
        wrongHook.put("hook", "decode");
        given().contentType(ContentType.JSON).body(wrongHook).post("/policy-dry-run")
                .then().statusCode(400).body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("hook"));

        given().contentType(ContentType.JSON).body("{\"hook\": \"admit\", \"input\": ").post("/policy-dry-run")
                .then().statusCode(400).body("code", equalTo("INVALID_PARAMS"));

        Map<String, Object> otherTenant = dryRun(tenant, "allowlist", "1.0.0", "dev-tiny");
        otherTenant.put("tenant_id", "someone-else");
        given().contentType(ContentType.JSON).body(otherTenant).post("/policy-dry-run")
                .then().statusCode(400).body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("tenant_id"));

        Map<String, Object> junk = dryRun(tenant, null, null, "dev-tiny");
        junk.put("module_base64", Base64.getEncoder().encodeToString("not wasm".getBytes(StandardCharsets.UTF_8)));
        given().contentType(ContentType.JSON).body(junk).post("/policy-dry-run")
                .then().statusCode(400).body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("module"));
    }

    // ------------------------------------------------------------------------------------------ catalog-verify

    @Test
    @DisplayName("FN-1 catalog-verify verifies signatures and SBOM of an entry and records the run on it")
    void catalogVerifyRecordsTheOutcome() throws Exception {
        UUID good = insertEntry("fn/verified", "v1", signedEnvelopes(manifest("fn/verified", "v1")), true, "Active", null);
        given().contentType(ContentType.JSON).body(Map.of("id", good.toString())).post("/catalog-verify")
                .then().statusCode(200)
                .body("state", equalTo("verified"))
                .body("key_ids", hasItem(SharedDatabase.KEY_ID))
                .body("model_id", equalTo(good.toString()));
        assertThat(column(good, "verification_state")).isEqualTo("verified");
        assertThat(column(good, "verification_key_ids")).contains(SharedDatabase.KEY_ID);

        // Signed over another manifest than the stored one: strict policy records it as failed, with the reason.
        UUID forged = insertEntry("fn/forged", "v1", signedEnvelopes(manifest("fn/other", "v1")), true, "Active", null);
        given().contentType(ContentType.JSON).body(Map.of("name", "fn/forged", "tag", "v1")).post("/catalog-verify")
                .then().statusCode(200).body("state", equalTo("failed")).body("reason", startsWith("payload_mismatch"));
        assertThat(column(forged, "verification_state")).isEqualTo("failed");

        UUID noSbom = insertEntry("fn/nosbom", "v1", signedEnvelopes(manifest("fn/nosbom", "v1")), false, "Active", null);
        given().contentType(ContentType.JSON).body(Map.of("id", noSbom.toString())).post("/catalog-verify")
                .then().statusCode(200).body("state", equalTo("failed")).body("reason", startsWith("no_sbom"));

        given().contentType(ContentType.JSON).body(Map.of("id", UUID.randomUUID().toString())).post("/catalog-verify")
                .then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        given().contentType(ContentType.JSON).body(Map.of("id", "not-a-uuid")).post("/catalog-verify")
                .then().statusCode(400).body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("id"));
    }

    @Test
    @DisplayName("FN-1 CAT-3 catalog-verify counts every run in catalog_verifications_total{result,reason} on /q/metrics, with the"
            + " type and labels of the platform's metrics contract")
    void catalogVerifyCountsUnderThePlatformsMetricContract() throws Exception {
        JsonNode declared = null;
        for (JsonNode m : YAML.readTree(Files.readString(Path.of(System.getProperty("test.repo.root"),
                "platform/app/src/main/resources/metrics-contract.yaml"))).path("metrics")) {
            if (m.path("name").asText().equals("catalog_verifications_total")) {
                declared = m;
            }
        }
        assertThat(declared).as("catalog_verifications_total in the platform's metrics contract").isNotNull();
        Set<String> labels = new TreeSet<>();
        declared.path("labels").forEach(l -> labels.add(l.asText()));

        Map<String, MetricFamily> before = scrape();
        UUID good = insertEntry("fn/counted", "v1", signedEnvelopes(manifest("fn/counted", "v1")), true, "Active", null);
        UUID forged = insertEntry("fn/counted-forged", "v1", signedEnvelopes(manifest("fn/elsewhere", "v1")), true, "Active", null);
        UUID noSbom = insertEntry("fn/counted-nosbom", "v1", signedEnvelopes(manifest("fn/counted-nosbom", "v1")), false, "Active", null);
        for (UUID id : List.of(good, forged, noSbom)) {
            given().contentType(ContentType.JSON).body(Map.of("id", id.toString())).post("/catalog-verify").then().statusCode(200);
        }
        // Not a verification: nothing is counted for an entry that does not exist.
        given().contentType(ContentType.JSON).body(Map.of("id", UUID.randomUUID().toString())).post("/catalog-verify")
                .then().statusCode(404);
        Map<String, MetricFamily> after = scrape();

        MetricFamily family = after.get("catalog_verifications_total");
        assertThat(family).as("catalog_verifications_total on the functions' /q/metrics").isNotNull();
        assertThat(family.getType().name().toLowerCase(java.util.Locale.ROOT)).isEqualTo(declared.path("type").asText());
        for (Metric m : family.getMetrics()) {
            assertThat(new TreeSet<>(m.getLabels().keySet())).as("labels of %s", m.getLabels()).isEqualTo(labels);
        }
        assertThat(count(after, "verified", "ok") - count(before, "verified", "ok")).isEqualTo(1.0);
        assertThat(count(after, "failed", "payload_mismatch") - count(before, "failed", "payload_mismatch")).isEqualTo(1.0);
        assertThat(count(after, "failed", "no_sbom") - count(before, "failed", "no_sbom")).isEqualTo(1.0);
    }

    /** /q/metrics parsed with a Prometheus text-format parser; every sample line must parse. */
    private static Map<String, MetricFamily> scrape() throws Exception {
        // The Prometheus text format 0.0.4, as the platform's contract test scrapes it (not OpenMetrics).
        String text = given().accept("text/plain; version=0.0.4").get("/q/metrics").then().statusCode(200).extract().asString();
        Map<String, MetricFamily> families = new LinkedHashMap<>();
        TextPrometheusMetricDataParser parser = new TextPrometheusMetricDataParser(new java.io.ByteArrayInputStream(
                text.getBytes(StandardCharsets.UTF_8)));
        for (MetricFamily f = parser.parse(); f != null; f = parser.parse()) {
            families.put(f.getName(), f);
        }
        MetricFamily verifications = families.get("catalog_verifications_total");
        assertThat(verifications == null ? 0 : verifications.getMetrics().size()).as("every catalog_verifications_total sample parses")
                .isEqualTo((int) text.lines().filter(l -> l.startsWith("catalog_verifications_total{")).count());
        return families;
    }

    private static double count(Map<String, MetricFamily> families, String result, String reason) {
        MetricFamily f = families.get("catalog_verifications_total");
        if (f == null) {
            return 0;
        }
        for (Metric m : f.getMetrics()) {
            if (result.equals(m.getLabels().get("result")) && reason.equals(m.getLabels().get("reason"))) {
                return ((Counter) m).getValue();
            }
        }
        return 0;
    }

    // ------------------------------------------------------------------------------------------ lifecycle-sweep

    @Test
    @DisplayName("FN-1 lifecycle-sweep retires entries whose drain deadline passed and closes expired sessions, once")
    void lifecycleSweepAppliesDueTransitionsOnce() throws Exception {
        UUID due = insertEntry("fn/due", "v1", "[]", true, "Deprecated", "now() - interval '1 minute'");
        UUID notYet = insertEntry("fn/later", "v1", "[]", true, "Deprecated", "now() + interval '1 hour'");
        String tenant = "fn-ses-" + UUID.randomUUID().toString().substring(0, 8);
        exec("insert into tenants (id) values ('" + tenant + "')");
        UUID expired = UUID.randomUUID();
        UUID live = UUID.randomUUID();
        exec("insert into sessions (id, tenant_id, created_at, expires_at, max_turns) values ('" + expired + "', '" + tenant
                + "', now() - interval '2 hours', now() - interval '1 hour', 8), ('" + live + "', '" + tenant
                + "', now(), now() + interval '1 hour', 8)");

        Response first = given().contentType(ContentType.JSON).body(Map.of()).post("/lifecycle-sweep");
        first.then().statusCode(200);
        assertThat(first.jsonPath().getList("retired.id", String.class)).contains(due.toString()).doesNotContain(notYet.toString());
        assertThat(first.jsonPath().getInt("sessions_closed")).isGreaterThanOrEqualTo(1);
        assertThat(column(due, "state")).isEqualTo("Retired");
        assertThat(column(due, "archived")).isEqualTo("t");
        assertThat(column(notYet, "state")).isEqualTo("Deprecated");
        assertThat(query("select actor from catalog_transitions where model_id = '" + due + "' and to_state = 'Retired'"))
                .isEqualTo("lifecycle-sweep");
        assertThat(query("select deleted_at is not null from sessions where id = '" + expired + "'")).isEqualTo("t");
        assertThat(query("select deleted_at is null from sessions where id = '" + live + "'")).isEqualTo("t");

        Response second = given().contentType(ContentType.JSON).body(Map.of()).post("/lifecycle-sweep");
        assertThat(second.jsonPath().getList("retired.id", String.class)).doesNotContain(due.toString());
        assertThat(query("select count(*) from catalog_transitions where model_id = '" + due + "' and to_state = 'Retired'"))
                .isEqualTo("1");

        given().contentType(ContentType.JSON).body(Map.of("limit", 0)).post("/lifecycle-sweep")
                .then().statusCode(400).body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("limit"));
    }

    // ------------------------------------------------------------------------------------------ CloudEvents

    @Test
    @DisplayName("FN-1 a binary-mode CloudEvent triggers lifecycle-sweep and the answer is a CloudEvent of the result type")
    void binaryCloudEventInAndOut() {
        given().contentType(ContentType.JSON)
                .header("ce-specversion", "1.0")
                .header("ce-id", "sweep-" + UUID.randomUUID())
                .header("ce-type", "io.sluice.lifecycle.sweep.requested")
                .header("ce-source", "/cron/sweeper")
                .body("{\"limit\": 10}")
                .post("/")
                .then().statusCode(200)
                .header("ce-type", "io.sluice.lifecycle.sweep.result")
                .header("ce-source", "/sluice/functions/lifecycle-sweep")
                .header("ce-id", notNullValue())
                .header("ce-specversion", "1.0")
                .body("sessions_closed", notNullValue());
    }

    @Test
    @DisplayName("FN-1 the scheduled sweep: a PingSource event (Knative's own type, as its Trigger delivers it) runs the sweep")
    void pingSourceEventOnTheFunctionsPathRunsTheSweep() throws Exception {
        UUID due = insertEntry("fn/pinged", "v1", "[]", true, "Deprecated", "now() - interval '1 minute'");
        // What the PingSource and Trigger of src/main/kubernetes/knative.yml deliver, as the broker sends it (binary mode).
        given().contentType(ContentType.JSON)
                .header("ce-specversion", "1.0")
                .header("ce-id", "ping-" + UUID.randomUUID())
                .header("ce-type", "dev.knative.sources.ping")
                .header("ce-source", "/apis/v1/namespaces/sluice/pingsources/sluice-lifecycle-sweep")
                .header("ce-sluicefunction", "lifecycle-sweep")
                .body("{}")
                .post("/")
                .then().statusCode(200)
                .header("ce-type", "io.sluice.lifecycle.sweep.result")
                .header("ce-source", "/sluice/functions/lifecycle-sweep")
                .body("sessions_closed", notNullValue());
        assertThat(column(due, "state")).isEqualTo("Retired");
    }

    @Test
    @DisplayName("FN-1 a structured-mode CloudEvent triggers catalog-verify and the answer is a structured CloudEvent")
    void structuredCloudEventInAndOut() throws Exception {
        UUID entry = insertEntry("fn/event", "v1", signedEnvelopes(manifest("fn/event", "v1")), true, "Active", null);
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("specversion", "1.0");
        event.put("id", "verify-" + UUID.randomUUID());
        event.put("type", "io.sluice.catalog.verify.requested");
        event.put("source", "/catalog/ingest");
        event.put("datacontenttype", "application/json");
        event.put("data", Map.of("id", entry.toString()));
        given().contentType("application/cloudevents+json").body(JSON.writeValueAsString(event))
                .post("/")
                .then().statusCode(200)
                .body("type", equalTo("io.sluice.catalog.verify.result"))
                .body("source", equalTo("/sluice/functions/catalog-verify"))
                .body("id", notNullValue())
                .body("data.state", equalTo("verified"));
    }

    @Test
    @DisplayName("FN-1 a CloudEvent with bad data gets a typed error")
    void cloudEventWithBadDataGetsATypedError() {
        given().contentType(ContentType.JSON)
                .header("ce-specversion", "1.0")
                .header("ce-id", "dry-" + UUID.randomUUID())
                .header("ce-type", "io.sluice.policy.dryrun.requested")
                .header("ce-source", "/tests")
                .body("{\"hook\": \"admit\"}")
                .post("/")
                .then().statusCode(400).body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("input"));
    }

    // ------------------------------------------------------------------------------------------ fixtures

    private static Map<String, Object> dryRun(String tenant, String policy, String version, String model) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> input = JSON.readValue(fixtureInput(), Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> tenantPart = (Map<String, Object>) input.get("tenant");
        tenantPart.put("id", tenant);
        @SuppressWarnings("unchecked")
        Map<String, Object> request = (Map<String, Object>) input.get("request");
        request.put("model_ref", model);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("tenant_id", tenant);
        if (policy != null) {
            body.put("policy", policy);
            body.put("version", version);
        }
        body.put("hook", "admit");
        body.put("input", input);
        return body;
    }

    /** The admit input of the plugin's own fixture (policy-examples/model-allowlist/fixtures). */
    private static String fixtureInput() throws Exception {
        var fixture = JSON.readTree(java.nio.file.Files.readString(java.nio.file.Path.of(System.getProperty("test.repo.root"),
                "policy-examples", "model-allowlist", "fixtures", "allow-default-list.json")));
        return fixture.get("input").toString();
    }

    private static byte[] wasm(String name) throws Exception {
        try (InputStream in = FunctionsTest.class.getResourceAsStream("/policies/" + name + ".wasm")) {
            assertThat(in).as("policy module %s built by policy-examples", name).isNotNull();
            return in.readAllBytes();
        }
    }

    private static void storePolicy(String tenant, String name, String version, byte[] wasm) throws Exception {
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(wasm));
        try (Connection c = connect()) {
            exec(c, "insert into tenants (id) values ('" + tenant + "') on conflict do nothing");
            try (PreparedStatement s = c.prepareStatement("insert into policy_modules (digest, bytes) values (?, ?) on conflict do nothing")) {
                s.setString(1, digest);
                s.setBytes(2, wasm);
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("insert into policy_versions (tenant_id, name, version, digest, abi_version,"
                    + " hooks_json, needs_json, size_bytes, created_by) values (?, ?, ?, ?, '1.0', '[\"admit\"]', '[]', ?, 'tests')")) {
                s.setString(1, tenant);
                s.setString(2, name);
                s.setString(3, version);
                s.setString(4, digest);
                s.setInt(5, wasm.length);
                s.executeUpdate();
            }
        }
    }

    private static Map<String, Object> manifest(String name, String tag) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("tag", tag);
        m.put("artifact_digest", "sha256:" + "ab".repeat(32));
        return m;
    }

    private static String signedEnvelopes(Map<String, Object> manifest) throws Exception {
        byte[] payload = JSON.writeValueAsBytes(manifest);
        PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
                Base64.getDecoder().decode(System.getProperty(SharedDatabase.PRIVATE_KEY_PROPERTY))));
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(key);
        s.update(DsseVerifier.pae(DsseVerifier.PAYLOAD_TYPE, payload));
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("payloadType", DsseVerifier.PAYLOAD_TYPE);
        env.put("payload", Base64.getEncoder().encodeToString(payload));
        env.put("signatures", List.of(Map.of("keyid", SharedDatabase.KEY_ID, "sig", Base64.getEncoder().encodeToString(s.sign()))));
        return JSON.writeValueAsString(List.of(env));
    }

    /** A catalog entry as the platform's ingest stores it; the manifest is the one {@link #manifest} builds. */
    private static UUID insertEntry(String name, String tag, String signaturesJson, boolean withSbom, String state, String drainDeadline)
            throws Exception {
        UUID id = UUID.randomUUID();
        String sbom = withSbom ? JSON.writeValueAsString(Map.of("bomFormat", "CycloneDX", "specVersion", "1.5", "version", 1,
                "components", List.of(Map.of("type", "machine-learning-model", "name", name, "version", tag)))) : null;
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement("insert into catalog_models (id, name, tag, source_registry,"
                + " artifact_digest, manifest_json, signatures_json, sbom_json, verification_state, state, drain_deadline_at, created_by)"
                + " values (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, " + (drainDeadline == null ? "null" : drainDeadline) + ", 'tests')")) {
            s.setObject(1, id);
            s.setString(2, name);
            s.setString(3, tag);
            s.setString(4, SharedDatabase.REGISTRY);
            s.setString(5, "sha256:" + "ab".repeat(32));
            s.setString(6, JSON.writeValueAsString(manifest(name, tag)));
            s.setString(7, signaturesJson);
            s.setString(8, sbom);
            s.setString(9, state);
            s.executeUpdate();
        }
        return id;
    }

    private static String column(UUID model, String column) throws Exception {
        return query("select " + column + " from catalog_models where id = '" + model + "'");
    }

    private static String query(String sql) throws Exception {
        try (Connection c = connect(); ResultSet r = c.createStatement().executeQuery(sql)) {
            assertThat(r.next()).as(sql).isTrue();
            return r.getString(1);
        }
    }

    private static void exec(String sql) throws Exception {
        try (Connection c = connect()) {
            exec(c, sql);
        }
    }

    private static void exec(Connection c, String sql) throws Exception {
        c.createStatement().executeUpdate(sql);
    }

    private static Connection connect() throws Exception {
        String url = ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
        return DriverManager.getConnection(url, EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
    }
}
