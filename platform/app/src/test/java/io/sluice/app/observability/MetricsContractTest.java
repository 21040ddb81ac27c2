package io.sluice.app.observability;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sluice.app.catalog.TestSigner;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Sse;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.hawkular.agent.prometheus.text.TextPrometheusMetricDataParser;
import org.hawkular.agent.prometheus.types.Histogram;
import org.hawkular.agent.prometheus.types.Metric;
import org.hawkular.agent.prometheus.types.MetricFamily;
import org.hawkular.agent.prometheus.types.Summary;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The metrics contract (OBS-1, ADR 0014): after real traffic through the API — a task submitted and streamed against
 * the engine simulator, a refused submission, a canceled task, a catalog ingest and a tenant policy deciding an
 * admission — {@code /q/metrics} is parsed with a Prometheus text-format parser and compared with
 * {@code metrics-contract.yaml}: every family present with its type and exact label set, no Sluice family missing
 * from the contract, and every exposition line accepted by the parser.
 */
@QuarkusTest
class MetricsContractTest extends ApiTest {
    private static final String TENANT = "metrics-tenant";
    private static final String POLICY_TENANT = "metrics-policy-tenant";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    @DisplayName("OBS-1 after real traffic every contract metric is exposed with its type and labels, and nothing undeclared")
    void scrapeMatchesTheContract() throws Exception {
        Map<String, MetricFamily> before = scrape();
        double completedBefore = sum(before, "tasks_completed_total", Map.of("pool_id", "pool-a")) + sum(before, "tasks_completed_total",
                Map.of("pool_id", "pool-b"));
        double tokensOutBefore = sum(before, "tokens_out_total", Map.of());
        double rejectedBefore = sum(before, "tasks_rejected_total", Map.of("reason", "invalid_params"));
        double canceledBefore = sum(before, "tasks_canceled_total", Map.of("reason", "client"));
        double ttftBefore = count(before, "latency_first_token_ms");

        // a task submitted and streamed to its end
        String id = submit(TENANT, task("dev-tiny"));
        List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
        assertThat(events.get(events.size() - 1).name()).isEqualTo("end");
        // a refused submission
        Map<String, Object> bad = task("dev-tiny");
        bad.put("max_tokens", -1);
        given().filter(io.sluice.app.testing.Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT))
                .contentType(ContentType.JSON).body(bad).post("/v1/tasks").then().statusCode(400);
        // a canceled task
        Map<String, Object> slow = task("slow-tiny");
        slow.put("max_tokens", 400);
        String canceled = submit(TENANT, slow);
        as(TENANT).post("/v1/tasks/" + canceled + "/cancel").then().statusCode(204);
        Sse.readAll(baseUrl() + "/v1/tasks/" + canceled + "/stream", tenantToken(TENANT));
        // a catalog entry (verified at ingest: model_state, catalog_verifications_total)
        asAdmin().contentType(ContentType.JSON).body(TestSigner.signedModel("metrics-model", "v" + System.nanoTime()))
                .post("/v1/catalog/models").then().statusCode(201);
        // a tenant policy deciding an admission (policy_eval_seconds)
        byte[] wasm;
        try (InputStream in = MetricsContractTest.class.getResourceAsStream("/policies/examples/model-allowlist.wasm")) {
            wasm = in.readAllBytes();
        }
        String version = as(POLICY_TENANT).contentType("application/wasm").body(wasm).post("/v1/policies/model-allowlist/versions")
                .then().statusCode(201).extract().path("version");
        as(POLICY_TENANT).contentType(ContentType.JSON)
                .body(Map.of("version", version, "hooks", List.of("admit"), "failure_mode", "fail_closed"))
                .put("/v1/policies/model-allowlist/binding").then().statusCode(200);
        submit(POLICY_TENANT, task("dev-tiny"));

        String text = scrapeText();
        Map<String, MetricFamily> after = parse(text);
        JsonNode contract = YAML.readTree(MetricsContractTest.class.getResourceAsStream("/metrics-contract.yaml"));

        List<String> problems = new ArrayList<>();
        Set<String> declared = new HashSet<>();
        Set<String> histograms = new HashSet<>();
        for (JsonNode m : contract.path("metrics")) {
            String name = m.path("name").asText();
            declared.add(name);
            if (m.path("type").asText().equals("histogram")) {
                histograms.add(name);
            }
            MetricFamily f = after.get(name);
            if (f == null) {
                if (m.path("scraped_after_traffic").asBoolean(true)) {
                    problems.add("missing: " + name);
                }
                continue;
            }
            if (!f.getType().name().equalsIgnoreCase(m.path("type").asText())) {
                problems.add(name + ": type " + f.getType() + ", contract says " + m.path("type").asText());
            }
            Set<String> labels = new TreeSet<>();
            m.path("labels").forEach(l -> labels.add(l.asText()));
            for (Metric sample : f.getMetrics()) {
                if (!new TreeSet<>(sample.getLabels().keySet()).equals(labels)) {
                    problems.add(name + ": labels " + sample.getLabels().keySet() + ", contract says " + labels);
                    break;
                }
            }
        }
        List<String> prefixes = new ArrayList<>();
        contract.path("framework_prefixes").forEach(p -> prefixes.add(p.asText()));
        for (String family : after.keySet()) {
            boolean framework = prefixes.stream().anyMatch(family::startsWith);
            boolean histogramMax = family.endsWith("_max") && histograms.contains(family.substring(0, family.length() - 4));
            if (!framework && !histogramMax && !declared.contains(family)) {
                problems.add("not in the contract: " + family);
            }
        }
        assertThat(problems).as("drift between /q/metrics and metrics-contract.yaml").isEmpty();

        // the traffic above is what moved the figures
        double completed = sum(after, "tasks_completed_total", Map.of("pool_id", "pool-a"))
                + sum(after, "tasks_completed_total", Map.of("pool_id", "pool-b"));
        assertThat(completed - completedBefore).isGreaterThanOrEqualTo(1);
        assertThat(sum(after, "tokens_out_total", Map.of()) - tokensOutBefore).isGreaterThanOrEqualTo(16);
        assertThat(sum(after, "tasks_rejected_total", Map.of("reason", "invalid_params")) - rejectedBefore).isEqualTo(1);
        assertThat(sum(after, "tasks_canceled_total", Map.of("reason", "client")) - canceledBefore).isEqualTo(1);
        assertThat(count(after, "latency_first_token_ms") - ttftBefore).isGreaterThanOrEqualTo(1);
        assertThat(sum(after, "preemptions_total", Map.of())).as("this traffic fills no queue, so nothing is preempted").isZero();
        assertThat(sum(after, "admission_share", Map.of())).isCloseTo(1.0, org.assertj.core.data.Offset.offset(0.01));
    }

    // ------------------------------------------------------------------------------------------ scraping

    private static String scrapeText() {
        return given().accept("text/plain; version=0.0.4").get("/q/metrics").then().statusCode(200).extract().asString();
    }

    private static Map<String, MetricFamily> scrape() throws Exception {
        return parse(scrapeText());
    }

    /**
     * Parses the exposition; the parser skips lines it cannot read, so every sample line of the text must be accounted
     * for by a parsed sample (a histogram's buckets, count and sum included), otherwise the text is invalid.
     */
    private static Map<String, MetricFamily> parse(String text) throws Exception {
        Map<String, MetricFamily> families = new LinkedHashMap<>();
        long parsedLines = 0;
        TextPrometheusMetricDataParser parser = new TextPrometheusMetricDataParser(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        for (MetricFamily f = parser.parse(); f != null; f = parser.parse()) {
            assertThat(families.put(f.getName(), f)).as("family " + f.getName() + " appears once").isNull();
            for (Metric m : f.getMetrics()) {
                parsedLines += m instanceof Histogram h ? h.getBuckets().size() + 2 : m instanceof Summary s ? s.getQuantiles().size() + 2 : 1;
            }
        }
        long sampleLines = text.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).count();
        assertThat(parsedLines).as("every sample line of the exposition parses").isEqualTo(sampleLines);
        return families;
    }

    private static double sum(Map<String, MetricFamily> families, String name, Map<String, String> labels) {
        MetricFamily f = families.get(name);
        if (f == null) {
            return 0;
        }
        double total = 0;
        for (Metric m : f.getMetrics()) {
            if (m.getLabels().entrySet().containsAll(labels.entrySet())) {
                total += value(m);
            }
        }
        return total;
    }

    private static double count(Map<String, MetricFamily> families, String name) {
        MetricFamily f = families.get(name);
        if (f == null) {
            return 0;
        }
        double total = 0;
        for (Metric m : f.getMetrics()) {
            total += ((Histogram) m).getSampleCount();
        }
        return total;
    }

    private static double value(Metric m) {
        if (m instanceof org.hawkular.agent.prometheus.types.Counter c) {
            return c.getValue();
        }
        if (m instanceof org.hawkular.agent.prometheus.types.Gauge g) {
            return g.getValue();
        }
        throw new IllegalArgumentException("not a counter or gauge: " + m.getName());
    }
}
