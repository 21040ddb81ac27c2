package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Loads the plugin corpus built from source by policy-examples (AssemblyScript examples and hostile WAT
 * modules), from the {@code sluice-policy-examples} jar on the test class path.
 */
public final class TestPlugins {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private TestPlugins() {}

    public static byte[] hostile(String name) {
        return resource("/policies/hostile/" + name + ".wasm");
    }

    public static byte[] example(String name) {
        return resource("/policies/examples/" + name + ".wasm");
    }

    /** An example with the fixtures that ship with it. */
    record Example(String name, byte[] wasm, List<PolicyFixture> fixtures) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Every example listed in the corpus index. */
    static List<Example> examples() {
        JsonNode index = JSON.readTree(new String(resource("/policies/index.json"), StandardCharsets.UTF_8));
        List<Example> out = new ArrayList<>();
        for (JsonNode e : index.path("examples").values()) {
            List<PolicyFixture> fixtures = new ArrayList<>();
            for (JsonNode f : e.path("fixtures").values()) {
                String path = f.stringValue();
                fixtures.add(PolicyFixture.parse(path, new String(resource(path), StandardCharsets.UTF_8)));
            }
            out.add(new Example(e.path("name").stringValue(), resource(e.path("resource").stringValue()), fixtures));
        }
        assertThat(out).as("examples in /policies/index.json").isNotEmpty();
        return out;
    }

    static byte[] resource(String path) {
        try (InputStream in = TestPlugins.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is not on the test class path; it is built by the"
                        + " policy-examples module (mvn -pl platform/policy-host -am ...)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
