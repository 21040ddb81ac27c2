package io.sluice.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DocumentedConfigTest {
    private static final Pattern YAML_BLOCK = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL);

    @Test
    @DisplayName("CFG-2 every YAML configuration example in docs/ loads in strict mode")
    void docsExamplesValidate() throws Exception {
        Path docs = Path.of(System.getProperty("test.repo.root", "../.."), "docs");
        List<String> blocks = new ArrayList<>();
        try (var files = Files.walk(docs)) {
            for (Path md : files.filter(p -> p.toString().endsWith(".md")).toList()) {
                Matcher m = YAML_BLOCK.matcher(Files.readString(md));
                while (m.find()) {
                    if (m.group(1).contains("pools:")) {
                        blocks.add(m.group(1));
                    }
                }
            }
        }
        assertThat(blocks).as("configuration examples found in docs/").isNotEmpty();
        for (String yaml : blocks) {
            assertThat(new ConfigLoader(true).parse(yaml).pools()).isNotEmpty();
        }
    }
}
