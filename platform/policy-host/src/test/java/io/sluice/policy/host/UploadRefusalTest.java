package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.policy.host.PolicyValidationException.Reason;
import java.util.Arrays;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * POL-9 at the host boundary: what the section headers already tell is refused before compiling, refusals that
 * follow from the bytes are remembered by digest, and a refusal made elsewhere is honoured without compiling.
 */
@DisplayName("POL-9 uploads cannot hurt other tenants: refused before compiling, refused digests remembered")
class UploadRefusalTest {

    private static PolicyValidationException refused(PolicyHost host, byte[] wasm) {
        PolicyValidationException e = catchThrowableOfType(PolicyValidationException.class, () -> host.compile(wasm));
        assertThat(e).as("module must be refused").isNotNull();
        return e;
    }

    @Test
    @DisplayName("POL-9 a module whose function body is past the compile budget is refused from its headers, and again from memory")
    void oversizedFunctionIsRefusedBeforeCompilingAndRemembered() {
        try (PolicyHost host = PolicyHost.create(TestHosts.relaxedLimits().build(), PolicyTelemetry.NONE)) {
            // 4.1 MB of code in one function: compiling it took 2.5 s and ended in NEEDS_INTERPRETER.
            byte[] oversized = WasmBinary.hugeAdmit(590_000);
            assertThat(oversized.length).isLessThanOrEqualTo(host.limits().moduleBytes());

            PolicyValidationException first = refused(host, oversized);
            assertThat(first.reason()).isEqualTo(Reason.TOO_COMPLEX);
            assertThat(first.getMessage()).startsWith("module has a function body of 4130006 bytes; at most 65536 bytes");
            assertThat(first.remembered()).isTrue();

            PolicyValidationException second = refused(host, oversized);
            assertThat(second.reason()).isEqualTo(Reason.TOO_COMPLEX);
            assertThat(second.getMessage()).endsWith("(these bytes were refused before; not compiled again)");
        }
    }

    @Test
    @DisplayName("POL-9 too many functions or too much code are refused from the headers")
    void functionCountAndCodeSizeAreCheckedBeforeCompiling() {
        try (PolicyHost fewFunctions = PolicyHost.create(TestHosts.relaxedLimits().maxFunctions(1).build(), PolicyTelemetry.NONE);
                PolicyHost littleCode = PolicyHost.create(
                        TestHosts.relaxedLimits().maxFunctionBodyBytes(1024).maxCodeBytes(4096).build(), PolicyTelemetry.NONE)) {
            assertThat(refused(fewFunctions, WasmBinary.hugeAdmit(10)).getMessage())
                    .isEqualTo("module declares 2 functions; at most 1 are compiled");
            PolicyValidationException code = refused(littleCode, TestPlugins.example("model-allowlist"));
            assertThat(code.reason()).isEqualTo(Reason.TOO_COMPLEX);
            assertThat(code.getMessage()).matches("module has \\d{5} bytes of code; at most 4096 bytes are compiled");
        }
    }

    @Test
    @DisplayName("POL-9 a refusal found only by compiling is remembered: the same bytes are not compiled again")
    void compileRefusalIsRemembered() {
        // Headers allowed through, so the compiler itself finds the function too large for one JVM method.
        try (PolicyHost host = PolicyHost.create(
                TestHosts.relaxedLimits().maxFunctionBodyBytes(1024 * 1024).build(), PolicyTelemetry.NONE)) {
            byte[] wasm = WasmBinary.hugeAdmit(40_000);
            PolicyValidationException first = refused(host, wasm);
            assertThat(first.reason()).isEqualTo(Reason.NEEDS_INTERPRETER);
            assertThat(first.getMessage()).doesNotContain("refused before");

            PolicyValidationException again = refused(host, wasm);
            assertThat(again.reason()).isEqualTo(Reason.NEEDS_INTERPRETER);
            assertThat(again.getMessage()).isEqualTo(first.getMessage() + " (these bytes were refused before; not compiled again)");
        }
    }

    @Test
    @DisplayName("POL-9 a refusal handed in from the shared store is honoured without compiling, even for bytes that would pass")
    void refusalFromElsewhereIsHonoured() throws Exception {
        try (PolicyHost host = PolicyHost.create(TestHosts.relaxedLimits().build(), PolicyTelemetry.NONE)) {
            byte[] wasm = TestPlugins.hostile("trap");
            host.rememberRefusal(PolicyHost.digestOf(wasm), Reason.NEEDS_INTERPRETER, "refused by another instance");

            PolicyValidationException e = refused(host, wasm);
            assertThat(e.reason()).isEqualTo(Reason.NEEDS_INTERPRETER);
            assertThat(e.getMessage()).startsWith("refused by another instance");
            assertThat(host.cached(PolicyHost.digestOf(wasm))).as("never compiled").isNull();
            // Other bytes are unaffected.
            byte[] other = Arrays.copyOf(TestPlugins.hostile("trap"), TestPlugins.hostile("trap").length);
            other = withCustomSection(other);
            assertThat(host.compile(other).descriptor().name()).isEqualTo("trap");
        }
    }

    @Test
    @DisplayName("POL-9 refusals that depend on the fixtures are not remembered")
    void fixtureFailureIsNotRemembered() throws Exception {
        assertThat(Reason.FIXTURE_FAILED.followsFromBytes()).isFalse();
        assertThat(Reason.DESCRIBE_FAILED.followsFromBytes()).isFalse();
        assertThat(PolicyValidationException.busy(Reason.COMPILE_TIMEOUT, "busy").remembered()).isFalse();
        byte[] wasm = TestPlugins.example("model-allowlist");
        PolicyFixture wrong = PolicyFixture.parse("wrong.json",
                UploadValidationTest.fixture("expects mixtral to pass", "mixtral-8x7b", "allow"));
        PolicyHost host = TestHosts.relaxed();
        catchThrowableOfType(PolicyValidationException.class, () -> host.compile(wasm, java.util.List.of(wrong)));
        assertThat(host.compile(wasm).descriptor().name()).isEqualTo("model-allowlist");
    }

    /** The same module with an empty custom section appended: other bytes, same behaviour. */
    static byte[] withCustomSection(byte[] wasm) {
        byte[] out = Arrays.copyOf(wasm, wasm.length + 4);
        out[wasm.length] = 0; // custom section
        out[wasm.length + 1] = 2; // size
        out[wasm.length + 2] = 1; // name length
        out[wasm.length + 3] = 'x';
        return out;
    }
}
