package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.policy.host.PolicyValidationException.Reason;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("POL-1 POL-4 upload validation refuses malformed modules with a clear message")
class UploadValidationTest {

    private static PolicyValidationException refused(PolicyHost host, byte[] wasm) {
        PolicyValidationException e = catchThrowableOfType(PolicyValidationException.class, () -> host.compile(wasm));
        assertThat(e).as("module must be refused").isNotNull();
        return e;
    }

    static Stream<Arguments> hostileUploads() {
        return Stream.of(
                Arguments.of("bad-import-host-fn", Reason.FORBIDDEN_IMPORT, "'env.read_secret'"),
                Arguments.of("bad-import-wasi-fs", Reason.FORBIDDEN_IMPORT, "'wasi_snapshot_preview1.fd_prestat_get'"),
                Arguments.of("bad-import-extism-var", Reason.FORBIDDEN_IMPORT, "'extism:host/env.var_set'"),
                Arguments.of("missing-describe", Reason.MISSING_EXPORT, "does not export 'describe'"),
                Arguments.of("describe-lies", Reason.HOOKS_MISMATCH, "declares hook 'route'"),
                Arguments.of("describe-unsupported-abi", Reason.UNSUPPORTED_ABI, "supports ABI 1.0"),
                Arguments.of("big-initial-memory", Reason.MEMORY_TOO_LARGE, "20971520 bytes of initial memory"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("hostileUploads")
    void refusesHostileModule(String plugin, Reason reason, String messagePart) {
        PolicyValidationException e = refused(TestHosts.relaxed(), TestPlugins.hostile(plugin));
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.getMessage()).contains(messagePart);
    }

    @Test
    void refusesBytesThatAreNotWasm() {
        PolicyValidationException e = refused(TestHosts.relaxed(), "{\"not\":\"wasm\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(e.reason()).isEqualTo(Reason.NOT_WASM);
        assertThat(e.getMessage()).startsWith("not a valid WebAssembly module");
    }

    @Test
    void refusesTruncatedModule() {
        byte[] wasm = TestPlugins.example("model-allowlist");
        byte[] cut = java.util.Arrays.copyOf(wasm, wasm.length / 2);
        assertThat(refused(TestHosts.relaxed(), cut).reason()).isEqualTo(Reason.NOT_WASM);
    }

    @Test
    void refusesModuleOverTheSizeLimitBeforeParsing() {
        byte[] tooBig = new byte[4 * 1024 * 1024 + 1];
        PolicyValidationException e = refused(TestHosts.relaxed(), tooBig);
        assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE);
        assertThat(e.getMessage()).isEqualTo("module is 4194305 bytes; the limit is 4194304 bytes");
    }

    @Test
    void sizeLimitIsConfigurable() {
        try (PolicyHost host = PolicyHost.create(
                TestHosts.relaxedLimits().moduleBytes(16 * 1024).build(), PolicyTelemetry.NONE)) {
            assertThat(refused(host, TestPlugins.example("model-allowlist")).reason()).isEqualTo(Reason.TOO_LARGE);
        }
    }

    @Test
    @DisplayName("POL-4 a function that would need the interpreter fallback is refused at upload, never run")
    void refusesModuleNeedingInterpreterFallback() {
        // The header check (POL-9) would refuse this body before compiling; raised here so the compiler sees it.
        PolicyValidationException e;
        try (PolicyHost host = PolicyHost.create(
                TestHosts.relaxedLimits().maxFunctionBodyBytes(1024 * 1024).build(), PolicyTelemetry.NONE)) {
            e = refused(host, WasmBinary.hugeAdmit(40_000));
        }
        assertThat(e.reason()).isEqualTo(Reason.NEEDS_INTERPRETER);
        assertThat(e.getMessage()).contains("too large to compile to one JVM method").contains("function index: 1");
    }

    @Test
    void acceptsModuleWhoseFunctionsAllFitTheCompiler() throws Exception {
        // Same shape as the refused one, small enough to compile: the refusal above is about size only.
        PolicyValidationException e = refused(TestHosts.relaxed(), WasmBinary.hugeAdmit(10));
        assertThat(e.reason())
                .as("describe of this module returns no output, which is the next check")
                .isEqualTo(Reason.DESCRIBE_INVALID);
    }

    @Test
    void acceptedModuleCarriesDigestSizeAndDescription() throws Exception {
        byte[] wasm = TestPlugins.example("model-allowlist");
        PolicyModule m = TestHosts.relaxed().compile(wasm);

        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(wasm));
        assertThat(m.digest()).isEqualTo(sha256);
        assertThat(m.sizeBytes()).isEqualTo(wasm.length);
        assertThat(m.descriptor().abiVersion()).isEqualTo("1.1");
        assertThat(m.descriptor().name()).isEqualTo("model-allowlist");
        assertThat(m.descriptor().version()).matches("\\d+\\.\\d+\\.\\d+");
        assertThat(m.descriptor().hooks()).isEqualTo(Set.of(Hook.ADMIT));
        assertThat(m.ref()).isEqualTo(new PolicyRef("model-allowlist", m.descriptor().version(), sha256));
        assertThat(TestHosts.relaxed().compile(wasm)).as("cached by digest").isSameAs(m);
        assertThat(TestHosts.relaxed().cached(sha256)).isSameAs(m);
    }

    @Test
    @DisplayName("POL-4 tenant fixtures run at upload; a failing fixture refuses the module, naming it")
    void failingFixtureRefusesUpload() throws Exception {
        byte[] wasm = TestPlugins.example("model-allowlist");
        PolicyFixture good = PolicyFixture.parse("good.json", fixture("allowed model", "dev-tiny", "allow"));
        PolicyFixture wrong = PolicyFixture.parse("wrong.json", fixture("tenant expects mixtral to pass", "mixtral-8x7b", "allow"));

        assertThat(TestHosts.relaxed().compile(wasm, List.of(good)).descriptor().name()).isEqualTo("model-allowlist");

        PolicyValidationException e = catchThrowableOfType(
                PolicyValidationException.class, () -> TestHosts.relaxed().compile(wasm, List.of(good, wrong)));
        assertThat(e.reason()).isEqualTo(Reason.FIXTURE_FAILED);
        assertThat(e.getMessage())
                .contains("fixture 'tenant expects mixtral to pass' failed")
                .contains("expected decision allow, got deny");
    }

    @Test
    void fixtureWithInputOutsideTheAbiIsReported() {
        byte[] wasm = TestPlugins.example("model-allowlist");
        String bad = fixture("bad input", "dev-tiny", "allow").replace("\"workload\":\"completion\"", "\"workload\":\"painting\"");
        PolicyValidationException e = catchThrowableOfType(PolicyValidationException.class,
                () -> TestHosts.relaxed().compile(wasm, List.of(PolicyFixture.parse("bad.json", bad))));
        assertThat(e.reason()).isEqualTo(Reason.FIXTURE_FAILED);
        assertThat(e.getMessage()).contains("fixture 'bad input' is invalid").contains("admit.input.schema.json");
    }

    static String fixture(String name, String model, String decision) {
        return """
                {"name":"%s","hook":"admit",
                 "input":{"abi_version":"1.0",
                   "tenant":{"id":"acme","tier":"gold","labels":{"allowed-models":"dev-tiny"}},
                   "request":{"task_id":"6f1c1d0e-4f7e-4c59-9a59-6c1c2f5b8a10","session_id":"0b7e2f8a-1f33-4f0e-8d7c-2d3f1b9c4e21",
                     "workload":"completion","model_ref":"%s","engine":null,"priority":"interactive","max_tokens":256,
                     "deadline_ms":60000,"ctx":2048,"labels":{},"prompt_chars":5},
                   "snapshot":{"time_ms":1764000000000,"quota":{"running":0,"queued":0,"max_concurrent":null,"max_queued":null,
                     "tokens_per_minute_used":0,"tokens_per_minute":null},"queues":{},"model":{"id":"%s","state":"Active"}}},
                 "expect":{"decision":"%s"}}
                """.formatted(name, model, model, decision);
    }
}
