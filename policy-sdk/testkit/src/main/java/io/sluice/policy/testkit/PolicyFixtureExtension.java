package io.sluice.policy.testkit;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.FixtureResult;
import io.sluice.policy.host.PolicyFixture;
import io.sluice.policy.host.PolicyHost;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyTelemetry;
import io.sluice.policy.host.PolicyValidationException;
import io.sluice.policy.host.RouteInput;
import io.sluice.policy.host.RouteOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that compiles one policy module on a real {@link PolicyHost} with the platform's
 * limits, and closes the host after the test class.
 *
 * <p>Either register it in a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static PolicyFixtureExtension policy = PolicyFixtureExtension.forWasm(Path.of("build/policy.wasm"));
 *
 * @TestFactory
 * Stream<DynamicTest> fixtures() { return policy.fixtureTests(Path.of("fixtures")); }
 *
 * @Test
 * void capsSilver() {
 *     assertThat(policy.admit(AdmitInputBuilder.forTenant("acme").tier("silver").maxTokens(4096).build()))
 *         .isModifiedTo(Modifications.maxTokens(1024));
 * }
 * }</pre>
 *
 * or annotate the class with {@link PolicyTest} and take a {@link PolicyUnderTest} parameter. The
 * module is compiled in {@code beforeAll} (a static field) or before the first test (an instance field).
 * A refused module fails the tests with the host's refusal message.
 */
public final class PolicyFixtureExtension implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback, ParameterResolver {
    private final Source source;
    private PolicyLimits limits;
    private volatile PolicyUnderTest policy;

    /** Used by {@link PolicyTest}; reads the annotation. */
    public PolicyFixtureExtension() {
        this.source = null;
        this.limits = PolicyLimits.defaults();
    }

    private PolicyFixtureExtension(Source source) {
        this.source = source;
        this.limits = PolicyLimits.defaults();
    }

    /** A module read from a file. */
    public static PolicyFixtureExtension forWasm(Path wasm) {
        Objects.requireNonNull(wasm, "wasm");
        return new PolicyFixtureExtension(() -> Files.readAllBytes(wasm));
    }

    /** A module read from a class path resource such as {@code /policies/examples/model-allowlist.wasm}. */
    public static PolicyFixtureExtension forClasspath(String resource) {
        Objects.requireNonNull(resource, "resource");
        return new PolicyFixtureExtension(() -> readResource(resource));
    }

    /** Other limits than the platform defaults (for example a longer call limit on a slow CI machine). */
    public PolicyFixtureExtension withLimits(PolicyLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        return this;
    }

    @FunctionalInterface
    private interface Source {
        byte[] read() throws IOException;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        start(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        start(context);
    }

    private synchronized void start(ExtensionContext context) {
        if (policy != null) {
            return;
        }
        Source src = source;
        PolicyLimits l = limits;
        if (src == null) {
            PolicyTest annotation = context.getRequiredTestClass().getAnnotation(PolicyTest.class);
            if (annotation == null) {
                throw new ExtensionConfigurationException("use @PolicyTest(wasm = ...) or PolicyFixtureExtension.forWasm(...)");
            }
            String wasm = annotation.wasm();
            src = wasm.startsWith("classpath:") ? () -> readResource(wasm.substring("classpath:".length())) : () -> Files.readAllBytes(Path.of(wasm));
            if (annotation.callTimeoutMs() > 0) {
                l = l.toBuilder().callTimeout(Duration.ofMillis(annotation.callTimeoutMs())).build();
            }
        }
        byte[] bytes;
        try {
            bytes = src.read();
        } catch (IOException e) {
            throw new ExtensionConfigurationException("cannot read the policy module: " + e.getMessage(), e);
        }
        PolicyHost host = PolicyHost.create(l, PolicyTelemetry.NONE);
        try {
            PolicyModule module = host.compile(bytes);
            policy = new PolicyUnderTest(host, module);
        } catch (PolicyValidationException e) {
            host.close();
            throw new AssertionError("the host refuses this module (" + e.reason() + "): " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        if (policy != null) {
            policy.host().close();
            policy = null;
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == PolicyUnderTest.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        start(extensionContext);
        return policy;
    }

    /** The compiled policy; available once the extension has started. */
    public PolicyUnderTest policy() {
        PolicyUnderTest p = policy;
        if (p == null) {
            throw new IllegalStateException("the extension has not started yet (register it in a static field)");
        }
        return p;
    }

    public PolicyModule module() {
        return policy().module();
    }

    public AdmitOutcome admit(AdmitInput input) {
        return policy().admit(input);
    }

    public AdmitOutcome admitJson(String inputJson) {
        return policy().admitJson(inputJson);
    }

    public RouteOutcome route(RouteInput input) {
        return policy().route(input);
    }

    public RouteOutcome routeJson(String inputJson) {
        return policy().routeJson(inputJson);
    }

    public FixtureResult run(PolicyFixture fixture) {
        return policy().run(fixture);
    }

    /** One dynamic test per fixture file of {@code dir}; see {@link PolicyUnderTest#fixtureTests}. */
    public Stream<DynamicTest> fixtureTests(Path dir) {
        return policy().fixtureTests(dir);
    }

    private static byte[] readResource(String resource) throws IOException {
        String path = resource.startsWith("/") ? resource.substring(1) : resource;
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        try (InputStream in = (cl != null ? cl : PolicyFixtureExtension.class.getClassLoader()).getResourceAsStream(path)) {
            if (in == null) {
                throw new IOException("class path resource /" + path + " not found");
            }
            return in.readAllBytes();
        }
    }
}
