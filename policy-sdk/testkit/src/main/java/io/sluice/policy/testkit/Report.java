package io.sluice.policy.testkit;

import io.sluice.policy.host.FixtureResult;
import io.sluice.policy.host.PolicyFixture;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyValidationException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Text and JSON output of the CLI. */
final class Report {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Report() {}

    static void refused(PrintStream out, boolean json, Path wasm, PolicyValidationException e) {
        if (json) {
            ObjectNode root = JSON.createObjectNode();
            root.put("wasm", wasm.toString());
            root.put("refused", e.reason().name().toLowerCase(Locale.ROOT));
            root.put("message", e.getMessage());
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        } else {
            out.println("REFUSED " + wasm + ": " + e.reason().name().toLowerCase(Locale.ROOT) + ": " + e.getMessage());
        }
    }

    static void invalidFixture(PrintStream err, PolicyFixture f, IllegalArgumentException e) {
        err.println("invalid fixture '" + f.name() + "': " + e.getMessage());
    }

    static int print(PrintStream out, boolean json, Path wasm, PolicyModule module, String uploadCheck,
            List<PolicyFixture> fixtures, List<FixtureResult> results) {
        int passed = 0;
        int failed = 0;
        for (FixtureResult r : results) {
            if (r != null && r.passed()) {
                passed++;
            } else {
                failed++;
            }
        }
        if (json) {
            ObjectNode root = JSON.createObjectNode();
            ObjectNode m = root.putObject("module");
            m.put("wasm", wasm.toString());
            m.put("name", module.descriptor().name());
            m.put("version", module.descriptor().version());
            m.put("abi_version", module.descriptor().abiVersion());
            m.put("sha256", module.digest());
            m.put("bytes", module.sizeBytes());
            root.put("upload_check", uploadCheck);
            ArrayNode list = root.putArray("fixtures");
            for (int i = 0; i < fixtures.size(); i++) {
                FixtureResult r = results.get(i);
                ObjectNode f = list.addObject();
                f.put("name", fixtures.get(i).name());
                f.put("hook", fixtures.get(i).hook().wireName());
                f.put("passed", r != null && r.passed());
                if (r == null) {
                    f.put("failure", "invalid fixture");
                    continue;
                }
                f.put("outcome", r.outcomeLabel());
                f.put("detail", r.detail());
                f.put("latency_us", Math.round(r.latencyNanos() / 100.0) / 10.0);
                if (!r.passed()) {
                    f.put("failure", r.failure());
                }
                ArrayNode logs = f.putArray("logs");
                r.logs().forEach(logs::add);
            }
            root.put("passed", passed);
            root.put("failed", failed);
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        } else {
            out.printf("module %s %s (abi %s) sha256=%s, %d bytes, hooks %s, needs %s%n",
                    module.descriptor().name(), module.descriptor().version(), module.descriptor().abiVersion(),
                    module.digest(), module.sizeBytes(), module.descriptor().hooks(), module.descriptor().needs());
            out.println("upload check with fixtures: " + uploadCheck);
            for (int i = 0; i < fixtures.size(); i++) {
                FixtureResult r = results.get(i);
                if (r == null) {
                    out.printf("FAIL  %-48s invalid fixture%n", fixtures.get(i).name());
                    continue;
                }
                out.printf("%s  %-48s %-8s %9.1f us  %s%n",
                        r.passed() ? "PASS" : "FAIL",
                        fixtures.get(i).name(),
                        r.outcomeLabel(),
                        r.latencyNanos() / 1000.0,
                        r.passed() ? quote(r.detail()) : r.failure());
            }
            out.println("fixtures: " + passed + " passed, " + failed + " failed");
        }
        return failed == 0 ? PolicyTestkitCli.OK : PolicyTestkitCli.FIXTURE_FAILED;
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }
}
