package io.sluice.app.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.sluice.app.testing.Contract;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Runs the walk-through of {@code docs/catalog.md} as written — its bash block, with {@code bash} and {@code curl} —
 * against the product, from ingest through canary and rollback to retirement. Only the two token lines and the URL
 * are swapped for the test's. Every answer is checked: its status (all 2xx but the one refusal the document
 * announces) and, where the contract names a schema for it, its body. Then the end state is read back through the API.
 *
 * <p>The walk-through is written for the permissive dev stack (unsigned entries), so this class runs under
 * {@code trust-policy=permissive}, as {@code bin/sluice start-dev} does.
 */
@QuarkusTest
@TestProfile(CatalogWalkthroughTest.PermissiveTrust.class)
class CatalogWalkthroughTest extends CatalogApiSupport {
    private static final Path DOC = Path.of(System.getProperty("test.repo.root", "../.."), "docs", "catalog.md");

    /** The dev stack's trust policy; both keys, since a %test value would win otherwise. */
    public static class PermissiveTrust implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sluice.catalog.trust-policy", "permissive", "%test.sluice.catalog.trust-policy", "permissive");
        }
    }

    /** One request the script made: its answer's status, method, URL and body. */
    private record Exchange(int status, String method, String url, String body) {}

    /** What the contract says a 2xx answer of a walk-through request is. */
    private static final List<Map.Entry<Pattern, String>> SCHEMAS = List.of(
            Map.entry(Pattern.compile("^POST /v1/catalog/models$"), "ModelEntry"),
            Map.entry(Pattern.compile("^GET /v1/catalog/models/[0-9a-f-]{36}$"), "ModelEntry"),
            Map.entry(Pattern.compile("^POST /v1/catalog/models/[0-9a-f-]{36}/state$"), "ModelEntry"),
            Map.entry(Pattern.compile("^GET /v1/catalog/models$"), "ModelPage"),
            Map.entry(Pattern.compile("^GET /v1/catalog/models/[0-9a-f-]{36}/transitions$"), "TransitionPage"),
            Map.entry(Pattern.compile("^PUT /v1/catalog/aliases/[a-z0-9._-]+$"), "Alias"),
            Map.entry(Pattern.compile("^POST /v1/catalog/aliases/[a-z0-9._-]+/rollback$"), "Alias"),
            Map.entry(Pattern.compile("^POST /v1/tasks$"), "TaskAccepted"));

    @Test
    @DisplayName("LIFE-3 docs/catalog.md's walk-through, run as written with curl: ingest, canary, alias split, rollback, deprecation with a continuing session, retirement")
    void walkThroughRunsAsDocumented() throws Exception {
        String script = walkThrough();
        String admin = "$(bin/sluice token ops --admin)";
        String tenant = "$(bin/sluice token acme)";
        String api = "API=http://localhost:8080";
        assertThat(script).contains(admin, tenant, api);
        script = script.replace(admin, adminToken()).replace(tenant, tenantToken("acme")).replace(api, "API=" + baseUrl());

        Path dir = Files.createTempDirectory("sluice-walkthrough-");
        Path log = dir.resolve("exchanges");
        Files.createDirectories(log);
        // Records every curl call (status, method, URL, body) and hands the body on, so the script's own $(...) work.
        String recorder = """
                set -u
                curl() {
                  local method=GET url= prev= a
                  for a in "$@"; do
                    [ "$prev" = "-X" ] && method=$a
                    case $a in http://*|https://*) url=$a;; esac
                    prev=$a
                  done
                  # A file counts the calls: many run in $(...) subshells, where a shell variable would not carry over.
                  local n=$(( $(cat "$WALK_LOG/count" 2>/dev/null || echo 0) + 1 ))
                  echo $n > "$WALK_LOG/count"
                  local f="$WALK_LOG/$(printf '%03d' $n)"
                  local code
                  code=$(command curl -o "$f.body" -w '%{http_code}' "$@")
                  printf '%s\\t%s\\t%s\\n' "$code" "$method" "$url" > "$f.meta"
                  cat "$f.body"
                }
                """;
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", recorder + script).redirectErrorStream(true)
                .redirectOutput(dir.resolve("output").toFile());
        pb.environment().put("WALK_LOG", log.toString());
        Process p = pb.start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the walk-through finished").isTrue();
        String output = Files.readString(dir.resolve("output"));
        assertThat(p.exitValue()).as("bash exit; output:%n%s", output).isZero();

        List<Exchange> exchanges = exchanges(log);
        // Steps 1 to 8: 2 ingests, 2 reads, 3 state changes, 2 alias puts, 1 task, 1 rollback, 1 task, the deprecation,
        // 2 tasks (the refusal is the second), the retirement and the transitions.
        assertThat(exchanges).as("requests made; output:%n%s", output).hasSize(17);
        Exchange refused = exchanges.get(14);
        assertThat(refused.method() + " " + path(refused.url())).isEqualTo("POST /v1/tasks");
        assertThat(refused.status()).as("a new session on the Deprecated model").isEqualTo(410);
        assertThat(refused.body()).contains("MODEL_DEPRECATED");
        for (int i = 0; i < exchanges.size(); i++) {
            Exchange e = exchanges.get(i);
            if (i == 14) {
                assertThat(Contract.violations("Error", e.body())).as("the refusal's body").isEmpty();
                continue;
            }
            assertThat(e.status()).as("%s %s answered %s", e.method(), e.url(), e.body()).isBetween(200, 299);
            String key = e.method() + " " + path(e.url());
            for (Map.Entry<Pattern, String> s : SCHEMAS) {
                if (s.getKey().matcher(key).matches()) {
                    assertThat(Contract.violations(s.getValue(), e.body())).as("%s against %s: %s", key, s.getValue(), e.body()).isEmpty();
                }
            }
        }

        // The end state, read back through the API.
        String v1 = new io.restassured.path.json.JsonPath(exchanges.get(0).body()).getString("id");
        String v2 = new io.restassured.path.json.JsonPath(exchanges.get(1).body()).getString("id");
        var entry1 = asAdmin().get("/v1/catalog/models/" + v1).then().statusCode(200).extract().jsonPath();
        assertThat(entry1.getString("state")).isEqualTo("Retired");
        assertThat(entry1.getBoolean("archived")).isTrue();
        assertThat(entry1.getString("verification.state")).isEqualTo("unverified");
        assertThat(entry1.getList("history.to_state")).containsExactly("Draft", "Active", "Deprecated", "Retired");
        assertThat(entry1.getString("history[2].reason")).isEqualTo("superseded by v2");
        var entry2 = asAdmin().get("/v1/catalog/models/" + v2).then().statusCode(200).extract().jsonPath();
        assertThat(entry2.getString("state")).isEqualTo("Canary");
        var alias = asAdmin().get("/v1/catalog/aliases/chat").then().statusCode(200).extract().jsonPath();
        assertThat(alias.getList("targets.model_id")).as("rolled back to all traffic on v1").containsExactly(v1);
        assertThat(alias.getList("targets.percent")).containsExactly(100);
        // The tasks the walk-through admitted ran.
        for (int i : new int[] {9, 11, 13}) {
            String task = new io.restassured.path.json.JsonPath(exchanges.get(i).body()).getString("task_id");
            io.sluice.app.testing.Await.until(Duration.ofSeconds(30), () -> "succeeded".equals(as("acme").get("/v1/tasks/" + task)
                    .then().statusCode(200).extract().path("state")), "walk-through task " + task + " succeeded");
        }
        // LIFE-1: the gauge reflects the last transitions.
        String metrics = io.restassured.RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(gauge(metrics, v1, "Retired")).isEqualTo(1.0);
        assertThat(gauge(metrics, v1, "Deprecated")).isEqualTo(0.0);
        assertThat(gauge(metrics, v2, "Canary")).isEqualTo(1.0);
        assertThat(gauge(metrics, v2, "Active")).isEqualTo(0.0);
    }

    /** The value of {@code model_state{model_id=id,state=state}} in a Prometheus scrape. */
    static double gauge(String scrape, String id, String state) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith("model_state{") && line.contains("model_id=\"" + id + "\"") && line.contains("state=\"" + state + "\"")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no model_state gauge for " + id + " " + state);
    }

    private static String walkThrough() throws Exception {
        String doc = Files.readString(DOC, StandardCharsets.UTF_8);
        int section = doc.indexOf("## Walk-through on the dev stack");
        assertThat(section).as("the walk-through section of docs/catalog.md").isPositive();
        Matcher m = Pattern.compile("```bash\n(.*?)```", Pattern.DOTALL).matcher(doc);
        assertThat(m.find(section)).as("its bash block").isTrue();
        return m.group(1);
    }

    private static List<Exchange> exchanges(Path log) throws Exception {
        List<Exchange> out = new ArrayList<>();
        try (var files = Files.list(log)) {
            for (Path meta : files.filter(f -> f.toString().endsWith(".meta")).sorted().toList()) {
                String[] parts = Files.readString(meta).trim().split("\t");
                Path body = Path.of(meta.toString().replace(".meta", ".body"));
                out.add(new Exchange(Integer.parseInt(parts[0]), parts[1], parts[2], Files.exists(body) ? Files.readString(body) : ""));
            }
        }
        return out;
    }

    private static String path(String url) {
        String p = java.net.URI.create(url).getPath();
        return p;
    }
}
