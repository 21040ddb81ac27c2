package io.sluice.policy.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A plugin test case: one ABI input and what the plugin must answer. The JSON form, shared by uploads,
 * the test kit and the examples, is
 *
 * <pre>{@code
 * {"name": "denies unknown model", "hook": "admit",
 *  "input": { ...ABI admit or route input... },
 *  "expect": {"decision": "deny", "reason_contains": "not allowed"}}
 * }</pre>
 *
 * <p>{@code expect} may hold {@code decision} ({@code allow|deny|modify}), {@code modifications} (compared
 * exactly), {@code reason_contains}, {@code order} (route, compared exactly) or {@code error} (a
 * {@link PolicyErrorKind} label such as {@code "invalid_output"}, for fixtures that pin a failure).
 *
 * @param name fixture name, reported on failure
 * @param hook which export to call
 * @param inputJson the input exactly as the host would send it (prompt included only if the module needs it)
 * @param expect the expectation
 */
public record PolicyFixture(String name, Hook hook, String inputJson, Expectation expect) {

    public PolicyFixture {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(hook, "hook");
        Objects.requireNonNull(inputJson, "inputJson");
        Objects.requireNonNull(expect, "expect");
    }

    /** What the fixture expects; {@code null} fields are not checked. */
    public record Expectation(
            AdmitDecision decision,
            Modifications modifications,
            List<String> order,
            String reasonContains,
            PolicyErrorKind error) {
        public Expectation {
            order = order == null ? null : List.copyOf(order);
        }
    }

    /** The same fixture with {@code input.tenant.id} replaced, to run it as another tenant. */
    public PolicyFixture withTenant(String tenantId) {
        return new PolicyFixture(name, hook, FixtureDocuments.withTenant(inputJson, tenantId), expect);
    }

    /**
     * Parses one fixture document.
     *
     * @param source where it came from, used in error messages and as the default name
     * @throws IllegalArgumentException if the document is not a valid fixture
     */
    public static PolicyFixture parse(String source, String json) {
        return FixtureDocuments.parse(source, json);
    }

    /** Loads every {@code *.json} file of a directory, sorted by file name. */
    public static List<PolicyFixture> loadDirectory(Path dir) throws IOException {
        List<PolicyFixture> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".json"))
                    .sorted()
                    .toList()) {
                out.add(parse(p.getFileName().toString(), Files.readString(p)));
            }
        }
        return out;
    }
}
