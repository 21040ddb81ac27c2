package io.sluice.policy.testkit;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.FixtureResult;
import io.sluice.policy.host.PolicyFixture;
import io.sluice.policy.host.PolicyHost;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.RouteInput;
import io.sluice.policy.host.RouteOutcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A compiled plugin on the platform's host, ready to be called from a test. Thread-safe, like the host.
 * Calls run exactly as traffic would: same limits, same sandbox, same output validation.
 */
public final class PolicyUnderTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final PolicyHost host;
    private final PolicyModule module;

    PolicyUnderTest(PolicyHost host, PolicyModule module) {
        this.host = host;
        this.module = module;
    }

    public PolicyHost host() {
        return host;
    }

    public PolicyModule module() {
        return module;
    }

    public AdmitOutcome admit(AdmitInput input) {
        return host.admit(input.tenant().id(), module, input);
    }

    /** {@code admit} with an ABI input written as JSON (validated against the input schema first). */
    public AdmitOutcome admitJson(String inputJson) {
        return host.admitJson(tenantOf(inputJson), module, inputJson);
    }

    public RouteOutcome route(RouteInput input) {
        return host.route(input.admit().tenant().id(), module, input);
    }

    public RouteOutcome routeJson(String inputJson) {
        return host.routeJson(tenantOf(inputJson), module, inputJson);
    }

    public FixtureResult run(PolicyFixture fixture) {
        return host.runFixture(module, fixture);
    }

    /**
     * One dynamic test per fixture file of a directory, for a {@code @TestFactory}; each fails with the
     * fixture's failure message.
     */
    public Stream<DynamicTest> fixtureTests(Path dir) {
        List<PolicyFixture> fixtures;
        try {
            fixtures = PolicyFixture.loadDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return fixtures.stream().map(f -> DynamicTest.dynamicTest(f.name(), () -> {
            FixtureResult r = run(f);
            if (!r.passed()) {
                throw new AssertionError("fixture '" + f.name() + "' failed: " + r.failure() + " (logs " + r.logs() + ")");
            }
        }));
    }

    private static String tenantOf(String inputJson) {
        JsonNode id = JSON.readTree(inputJson).path("tenant").path("id");
        if (!id.isString()) {
            throw new IllegalArgumentException("input has no tenant.id");
        }
        return id.stringValue();
    }
}
