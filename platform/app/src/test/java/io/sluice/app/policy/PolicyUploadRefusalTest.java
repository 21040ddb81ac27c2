package io.sluice.app.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.sluice.app.testing.ApiTest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import jakarta.inject.Inject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * POL-9 through the upload API: real module bytes, the real host, the shared database and real tokens. Each test has
 * its own tenant, so the per-tenant upload quota of one test never meets another's.
 */
@QuarkusTest
class PolicyUploadRefusalTest extends ApiTest {
    private static final String REFUSED_BEFORE = "(these bytes were refused before; not compiled again)";

    @Inject
    PolicyRuntime runtime;

    private static ValidatableResponse upload(String tenant, String name, byte[] wasm) {
        return as(tenant).contentType("application/wasm").body(wasm).post("/v1/policies/" + name + "/versions").then();
    }

    @Test
    @DisplayName("POL-9 a module whose function is past the compile budget is refused before compiling, then from the shared memory")
    void oversizedModuleIsRefusedBeforeCompilingAndRemembered() throws Exception {
        String tenant = "pol9-oversized";
        byte[] oversized = oneHugeFunction(200_000);
        long versions = countRows("policy_versions");
        long modules = countRows("policy_modules");

        upload(tenant, "oversized", oversized).statusCode(400)
                .body("code", equalTo("INVALID_PARAMS"))
                .body("field", equalTo("module"))
                .body("message", startsWith("compile: module has a function body of "));
        String digest = PolicyApiTest.sha256(oversized);
        assertThat(countRows("policy_refused_modules where digest = '" + digest + "' and reason = 'TOO_COMPLEX'")).isEqualTo(1);

        upload(tenant, "oversized", oversized).statusCode(400)
                .body("message", startsWith("compile: module has a function body of "))
                .body("message", endsWith(REFUSED_BEFORE));
        assertThat(countRows("policy_versions")).isEqualTo(versions);
        assertThat(countRows("policy_modules")).as("nothing stored for refused bytes").isEqualTo(modules);
    }

    @Test
    @DisplayName("POL-9 bytes another instance refused are refused here without compiling, although they would pass")
    void refusalRecordedByAnotherInstanceIsHonoured() throws Exception {
        String tenant = "pol9-elsewhere";
        byte[] wasm = withCustomSection(PolicyApiTest.module("testing/versioned-v1"), "pol9-elsewhere");
        sql("insert into policy_refused_modules (digest, rules, reason, message) values ('" + PolicyApiTest.sha256(wasm) + "', '"
                + runtime.host().refusalRules() + "', 'NEEDS_INTERPRETER', 'refused by instance i-2')");

        upload(tenant, "versioned", wasm).statusCode(400)
                .body("message", equalTo("compile: refused by instance i-2 " + REFUSED_BEFORE));
        assertThat(countRows("policy_versions where tenant_id = '" + tenant + "'")).isZero();

        // Under other host rules (an operator raised a limit) the refusal does not apply.
        byte[] other = withCustomSection(PolicyApiTest.module("testing/versioned-v1"), "pol9-other-rules");
        sql("insert into policy_refused_modules (digest, rules, reason, message) values ('" + PolicyApiTest.sha256(other)
                + "', 'module=1', 'TOO_COMPLEX', 'refused under older limits')");
        upload(tenant, "versioned", other).statusCode(201);
    }

    @Test
    @DisplayName("POL-9 a tenant repeating uploads gets 429 QUOTA_EXCEEDED with Retry-After once its burst is spent; others are unaffected")
    void uploadsAreRateLimitedPerTenant() throws Exception {
        String tenant = "pol9-flood";
        byte[] refused = oneHugeFunction(100_000);
        int answered400 = 0;
        ValidatableResponse limited = null;
        for (int i = 0; i < 12 && limited == null; i++) {
            ValidatableResponse r = upload(tenant, "flood", refused);
            int status = r.extract().statusCode();
            if (status == 429) {
                limited = r;
            } else {
                assertThat(status).isEqualTo(400);
                answered400++;
            }
        }
        assertThat(answered400).as("the burst").isEqualTo(10);
        assertThat(limited).as("the upload after the burst").isNotNull();
        limited.header("Retry-After", notNullValue())
                .body("code", equalTo("QUOTA_EXCEEDED"))
                .body("retriable", equalTo(true))
                .body("message", containsString("policy upload quota of 10 per minute (burst 10, all instances together) exceeded"));
        assertThat(Integer.parseInt(limited.extract().header("Retry-After"))).isBetween(1, 6);
        // Another tenant uploads meanwhile.
        upload("pol9-flood-neighbour", "model-allowlist", PolicyApiTest.module("examples/model-allowlist")).statusCode(201);
    }

    @Test
    @DisplayName("POL-9 POL-6 a plugin that sets an error message and then traps is reported with its message")
    void errorMessageBeforeATrapReachesTheTenant() {
        String tenant = "pol9-abort";
        upload(tenant, "error-then-trap", PolicyApiTest.module("hostile/error-then-trap")).statusCode(201);
        as(tenant).contentType(ContentType.JSON)
                .body(Map.of("version", "1.0.0", "hooks", List.of("admit"), "failure_mode", "fail_closed"))
                .put("/v1/policies/error-then-trap/binding").then().statusCode(200);
        as(tenant).contentType(ContentType.JSON).body(task("dev-tiny")).post("/v1/tasks").then().statusCode(503)
                .body("code", equalTo("POLICY_ERROR"))
                .body("message", containsString("failed (trap)"))
                .body("message", containsString("the plugin's error message: abort: quota table missing"));
    }

    /**
     * A module exporting memory, {@code describe} and an {@code admit} whose body is {@code i32.const 0; drop} repeated
     * {@code repeats} times: about 3 bytes per repeat, past the compile budget from some tens of thousands.
     */
    static byte[] oneHugeFunction(int repeats) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00});
        section(out, 1, new byte[] {0x01, 0x60, 0x00, 0x01, 0x7f}); // one type: () -> i32
        section(out, 3, new byte[] {0x02, 0x00, 0x00}); // two functions of that type
        section(out, 5, new byte[] {0x01, 0x00, 0x01}); // one memory of one page
        ByteArrayOutputStream exports = new ByteArrayOutputStream();
        exports.write(3);
        export(exports, "memory", 2, 0);
        export(exports, "describe", 0, 0);
        export(exports, "admit", 0, 1);
        section(out, 7, exports.toByteArray());
        byte[] describe = {0x00, 0x41, 0x00, 0x0b};
        ByteArrayOutputStream admit = new ByteArrayOutputStream();
        admit.write(0x00); // no locals
        for (int i = 0; i < repeats; i++) {
            admit.writeBytes(new byte[] {0x41, 0x00, 0x1a});
        }
        admit.writeBytes(new byte[] {0x41, 0x00, 0x0b});
        ByteArrayOutputStream code = new ByteArrayOutputStream();
        code.write(2);
        leb(code, describe.length);
        code.writeBytes(describe);
        leb(code, admit.size());
        code.writeBytes(admit.toByteArray());
        section(out, 10, code.toByteArray());
        return out.toByteArray();
    }

    /** The module with a custom section appended: other bytes and digest, same behaviour. */
    static byte[] withCustomSection(byte[] wasm, String name) {
        ByteArrayOutputStream custom = new ByteArrayOutputStream();
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        leb(custom, n.length);
        custom.writeBytes(n);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(wasm);
        section(out, 0, custom.toByteArray());
        return out.toByteArray();
    }

    private static void export(ByteArrayOutputStream out, String name, int kind, int index) {
        leb(out, name.length());
        out.writeBytes(name.getBytes(StandardCharsets.US_ASCII));
        out.write(kind);
        leb(out, index);
    }

    private static void section(ByteArrayOutputStream out, int id, byte[] content) {
        out.write(id);
        leb(out, content.length);
        out.writeBytes(content);
    }

    private static void leb(ByteArrayOutputStream out, int value) {
        int v = value;
        do {
            int b = v & 0x7f;
            v >>>= 7;
            out.write(v != 0 ? b | 0x80 : b);
        } while (v != 0);
    }
}
