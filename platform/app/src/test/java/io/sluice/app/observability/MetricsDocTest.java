package io.sluice.app.observability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * docs/metrics.md is generated from {@code metrics-contract.yaml}, so the document and the contract the scrape test
 * enforces never disagree. Run with {@code -Dmetrics.write=true} to regenerate it after changing the contract.
 */
class MetricsDocTest {
    private static final Path DOC = Path.of(System.getProperty("test.repo.root", "../.."), "docs", "metrics.md");

    @Test
    @DisplayName("docs/metrics.md is the rendering of metrics-contract.yaml")
    void documentMatchesContract() throws Exception {
        String rendered = render(new ObjectMapper(new YAMLFactory()).readTree(MetricsDocTest.class.getResourceAsStream("/metrics-contract.yaml")));
        if (Boolean.getBoolean("metrics.write")) {
            Files.writeString(DOC, rendered, StandardCharsets.UTF_8);
        }
        assertThat(Files.exists(DOC) ? Files.readString(DOC, StandardCharsets.UTF_8) : "")
                .as("docs/metrics.md is stale; regenerate with -Dmetrics.write=true")
                .isEqualTo(rendered);
    }

    static String render(JsonNode contract) {
        StringBuilder b = new StringBuilder();
        b.append("# Metrics\n\n");
        b.append("**For:** operators who build dashboards and alerts on Sluice. Generated from\n");
        b.append("[`metrics-contract.yaml`](../platform/app/src/main/resources/metrics-contract.yaml) by `MetricsDocTest`\n");
        b.append("(`-Dmetrics.write=true`); do not edit by hand. `MetricsContractTest` scrapes a running Sluice after real\n");
        b.append("traffic and fails when `/q/metrics` and this list disagree. Why the names and labels are what they are:\n");
        b.append("[ADR 0014](adr/0014-metrics-health-and-logs.md); scraping, health and logs: [operations](operations.md).\n\n");
        b.append("Names are as exposed in the Prometheus text format (`Accept: text/plain; version=0.0.4`); OpenMetrics\n");
        b.append("(the default answer) names counter families without `_total` and their samples with it. Histograms also\n");
        b.append("expose `<name>_max`. `tenant` label values are bounded: the first `sluice.observability.tenant-label-limit`\n");
        b.append("tenants (default 20) keep their id, later ones are counted as `other`. *placeholder*: named by the\n");
        b.append("specification and registered at zero until the feature that records it exists.\n\n");
        b.append("| name | type | labels | status | requirement | meaning |\n");
        b.append("|---|---|---|---|---|---|\n");
        for (JsonNode m : contract.path("metrics")) {
            List<String> labels = new ArrayList<>();
            m.path("labels").forEach(l -> labels.add(l.asText()));
            List<String> spec = new ArrayList<>();
            m.path("spec").forEach(s -> spec.add(s.asText()));
            b.append("| `").append(m.path("name").asText()).append("` | ").append(m.path("type").asText()).append(" | ")
                    .append(labels.isEmpty() ? "—" : "`" + String.join("`, `", labels) + "`").append(" | ")
                    .append(m.path("status").asText()).append(" | ").append(String.join(", ", spec)).append(" | ")
                    .append(m.path("meaning").asText().replace("|", "\\|")).append(" |\n");
        }
        return b.toString();
    }
}
