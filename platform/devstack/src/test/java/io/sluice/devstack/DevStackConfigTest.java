package io.sluice.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.ConfigSchema;
import io.sluice.core.config.SluiceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The configuration {@code bin/sluice start-dev} writes at every start (CFG-1, CFG-2) is held to the checked-in JSON
 * Schema and to the strict loader, so that a change of the dev stack cannot drift from the configuration model.
 */
class DevStackConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Path SCHEMA_FILE = Path.of(System.getProperty("test.repo.root", "../.."), ConfigSchema.CHECKED_IN_PATH);

    /** The ports file the simulator writes for the dev stack's instances: engine and model as given, a loopback URL. */
    private static ArrayNode ports() {
        ArrayNode ports = JSON.createArrayNode();
        int port = 41_000;
        for (String spec : DevStack.simInstances(40)) {
            Map<String, String> kv = new LinkedHashMap<>();
            for (String part : spec.split(",")) {
                String[] pair = part.split("=", 2);
                kv.put(pair[0], pair[1]);
            }
            ObjectNode p = ports.addObject();
            p.put("engine", kv.get("engine")).put("model", kv.get("model")).put("port", port)
                    .put("url", "http://127.0.0.1:" + port++);
        }
        return ports;
    }

    private static List<String> schemaErrors(String yaml) throws Exception {
        Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(Files.readString(SCHEMA_FILE), InputFormat.JSON);
        return schema.validate(JSON.writeValueAsString(YAML.readTree(yaml)), InputFormat.JSON).stream()
                .map(e -> e.getInstanceLocation() + ": " + e.getMessage())
                .toList();
    }

    @Test
    @DisplayName("CFG-1 CFG-2 the configuration the dev stack generates matches the checked-in JSON Schema and loads in strict mode")
    void generatedConfigurationValidates() throws Exception {
        String yaml = DevStack.configYaml(ports());

        assertThat(schemaErrors(yaml)).as("violations of %s by the dev stack's configuration:%n%s", SCHEMA_FILE, yaml).isEmpty();
        SluiceConfig config = new ConfigLoader(true).parse(yaml);
        assertThat(config.pools()).extracting(SluiceConfig.PoolConfig::model).containsExactly("dev-tiny", "dev-tiny", "dev-small");
        assertThat(config.pools()).extracting(p -> p.engine().wire()).containsExactly("llamacpp", "llamacpp", "vllm");
        assertThat(config.pools()).extracting(SluiceConfig.PoolConfig::id).doesNotHaveDuplicates();
    }

    @Test
    @DisplayName("CFG-2 the checks of the dev stack's configuration discriminate: a field the model does not have fails both")
    void checksRefuseAnUnknownField() throws Exception {
        String drifted = DevStack.configYaml(ports()).replace("    engine: vllm\n", "    engine: vllm\n    gpu_count: 2\n");
        assertThat(drifted).contains("gpu_count");

        assertThat(schemaErrors(drifted)).anyMatch(e -> e.contains("gpu_count"));
        assertThatThrownBy(() -> new ConfigLoader(true).parse(drifted)).hasMessageContaining("gpu_count");
    }
}
