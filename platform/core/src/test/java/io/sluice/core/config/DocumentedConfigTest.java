package io.sluice.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DocumentedConfigTest {
    private static final Path DOCS = Path.of(System.getProperty("test.repo.root", "../.."), "docs");
    private static final Pattern YAML_BLOCK = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern TOP_LEVEL_KEY = Pattern.compile("(?m)^([a-z_]+):");

    /** The root properties of the configuration, as the generated schema names them. */
    private static final Set<String> CONFIG_KEYS = iterable(ConfigSchema.generateTree().get("properties").fieldNames());

    private static Set<String> iterable(java.util.Iterator<String> names) {
        Set<String> s = new java.util.HashSet<>();
        names.forEachRemaining(s::add);
        return s;
    }

    /**
     * Every configuration example in docs/: the YAML files under docs/config/ and every fenced yaml block whose
     * top-level keys are all configuration sections (Kubernetes manifests and API examples are not configurations).
     */
    private static Map<String, String> examples() throws Exception {
        Map<String, String> found = new LinkedHashMap<>();
        try (var files = Files.walk(DOCS)) {
            for (Path f : files.sorted().toList()) {
                String name = f.toString();
                if (name.endsWith(".md")) {
                    Matcher m = YAML_BLOCK.matcher(Files.readString(f));
                    int n = 0;
                    while (m.find()) {
                        n++;
                        Set<String> keys = TOP_LEVEL_KEY.matcher(m.group(1)).results().map(r -> r.group(1)).collect(Collectors.toSet());
                        if (!keys.isEmpty() && CONFIG_KEYS.containsAll(keys)) {
                            found.put(DOCS.relativize(f) + " block " + n, m.group(1));
                        }
                    }
                } else if (f.startsWith(DOCS.resolve("config")) && (name.endsWith(".yaml") || name.endsWith(".yml"))) {
                    found.put(DOCS.relativize(f).toString(), Files.readString(f));
                }
            }
        }
        return found;
    }

    @Test
    @DisplayName("CFG-2 every configuration example in docs/ loads in strict mode and matches the generated JSON Schema")
    void docsExamplesValidate() throws Exception {
        Map<String, String> examples = examples();
        assertThat(examples.keySet()).as("configuration examples found in docs/")
                .contains("config/sluice.example.yaml", "configuration.md block 1");
        examples.forEach((where, yaml) -> {
            assertThat(new ConfigLoader(true).parse(yaml)).as(where).isNotNull();
            assertThat(SchemaCheck.errors(yaml)).as(where).isEmpty();
        });
    }
}
