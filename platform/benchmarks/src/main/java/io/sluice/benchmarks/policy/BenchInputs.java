package io.sluice.benchmarks.policy;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.Priority;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.UUID;

/** The input and plugin every policy benchmark uses. */
public final class BenchInputs {
    static final String PLUGIN = "/policies/examples/model-allowlist.wasm";

    private BenchInputs() {}

    /** A realistic admit input (about 800 bytes of JSON) for tenant {@code tenant}. */
    public static AdmitInput admit(String tenant) {
        return new AdmitInput(
                new AdmitInput.Tenant(tenant, "gold", Map.of("allowed-models", "dev-tiny, llama-3.1-8b-instruct", "cost-center", "r-and-d")),
                new AdmitInput.Request(
                        UUID.fromString("6f1c1d0e-4f7e-4c59-9a59-6c1c2f5b8a10"),
                        UUID.fromString("0b7e2f8a-1f33-4f0e-8d7c-2d3f1b9c4e21"),
                        "completion",
                        "llama-3.1-8b-instruct",
                        null,
                        Priority.INTERACTIVE,
                        256,
                        60_000L,
                        2048,
                        Map.of("team", "search"),
                        123,
                        null),
                new AdmitInput.Snapshot(
                        1_764_000_000_000L,
                        new AdmitInput.Quota(1, 2, 10, null, 0, null),
                        Map.of("pool-a", 3, "pool-b", 0),
                        new AdmitInput.Model("llama-3.1-8b-instruct", "Active")));
    }

    /**
     * A plugin from the examples jar. {@code -Dbench.plugin=<file.wasm>} replaces {@link #PLUGIN} with a
     * file, e.g. a build with {@code --debug} whose name section maps profiled {@code func_N} to sources.
     */
    static byte[] plugin(String resource) {
        String override = System.getProperty("bench.plugin");
        if (override != null && resource.equals(PLUGIN)) {
            try {
                return java.nio.file.Files.readAllBytes(java.nio.file.Path.of(override));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        try (InputStream in = BenchInputs.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " missing: build policy-examples first");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A map of strings as a JSON object (for hand-built prototype inputs). */
    static String jsonObject(Map<String, String> labels) {
        return new tools.jackson.databind.json.JsonMapper().writeValueAsString(labels);
    }
}
