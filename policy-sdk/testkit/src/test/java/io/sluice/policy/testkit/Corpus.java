package io.sluice.policy.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Copies plugins and fixtures of the policy-examples jar to disk, as a plugin author would have them. */
final class Corpus {
    private Corpus() {}

    static byte[] resource(String path) throws IOException {
        try (InputStream in = Corpus.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IOException(path + " not on the test class path (built by policy-examples)");
            }
            return in.readAllBytes();
        }
    }

    /** Writes {@code <dir>/<name>.wasm} and {@code <dir>/<name>/fixtures/*.json}; returns the wasm path. */
    static Path example(String name, Path dir) throws IOException {
        JsonNode index = JsonMapper.builder().build().readTree(new String(resource("/policies/index.json"), StandardCharsets.UTF_8));
        for (JsonNode e : index.path("examples").values()) {
            if (!e.path("name").stringValue().equals(name)) {
                continue;
            }
            Path wasm = dir.resolve(name + ".wasm");
            Files.write(wasm, resource(e.path("resource").stringValue()));
            Path fixtures = Files.createDirectories(dir.resolve(name).resolve("fixtures"));
            for (JsonNode f : e.path("fixtures").values()) {
                String p = f.stringValue();
                Files.write(fixtures.resolve(p.substring(p.lastIndexOf('/') + 1)), resource(p));
            }
            return wasm;
        }
        throw new IOException("no example " + name);
    }

    static Path hostile(String name, Path dir) throws IOException {
        Path wasm = dir.resolve(name + ".wasm");
        Files.write(wasm, resource("/policies/hostile/" + name + ".wasm"));
        return wasm;
    }
}
