package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.policy.host.internal.DirectCall;
import io.sluice.policy.host.internal.abi.AbiBinary;
import io.sluice.policy.host.internal.abi.AbiJson;
import io.sluice.policy.host.internal.abi.AbiJson.EncodedInput;
import io.sluice.policy.host.internal.abi.AbiJson.RequestFacts;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * ABI 1.1: the host lays inputs out in slots ({@link AbiBinary}) and the SDK reads them lazily through the
 * kernel (policy-sdk/assemblyscript/assembly/source.ts). The {@code sdk-echo} test plugin's {@code
 * admit_slots} and {@code route_slots} exports read every member from the slot layout and echo them as JSON;
 * the echo must say exactly what the JSON input says — the same expectations as the SDK's JSON reader in
 * {@link SdkJsonConformanceTest}.
 */
@DisplayName("POL-1 POL-7 ABI 1.1: the SDK's slot reader sees exactly the members the host lays out")
class SdkSlotLayoutConformanceTest {
    private static final JsonMapper STRICT = AbiJson.MAPPER;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final long MAX_ABI_INTEGER = (1L << 53) - 1;
    private static PolicyHost host;
    private static DirectCall echo;

    @BeforeAll
    static void load() {
        host = PolicyHost.create(TestHosts.relaxedLimits().warmUpCalls(0).build(), PolicyTelemetry.NONE, ExecutionMode.COMPILED);
        PolicyModule module = TestHosts.compile(host, TestPlugins.resource("/policies/testing/sdk-echo.wasm"));
        echo = DirectCall.of(module, 16L << 20, 4096);
    }

    @AfterAll
    static void close() {
        host.close();
    }

    private static ObjectNode canonicalAdmit() {
        ObjectNode in = (ObjectNode) STRICT.readTree(AbiJson.encodeAdmit(Inputs.admit("acme"), true).json());
        in.put("abi_version", AbiBinary.ABI_VERSION);
        return in;
    }

    @Test
    @DisplayName("a typed admit input, prompt included, reads back member for member")
    void typedAdmit() {
        EncodedInput typed = AbiBinary.encodeAdmit(Inputs.admit("acme"), true);
        assertEchoes(canonicalAdmit(), typed.json(), "admit_slots");
    }

    @Test
    @DisplayName("typed and JSON inputs give the same bytes, so a fixture reaches a 1.1 plugin exactly as traffic does")
    void typedAndJsonLayoutsAgree() {
        AdmitInput admit = Inputs.admit("acme");
        JsonNode admitJson = STRICT.readTree(AbiJson.encodeAdmit(admit, true).json());
        assertThat(AbiBinary.fromJson(admitJson, false)).isEqualTo(AbiBinary.encodeAdmit(admit, true).json());
        RouteInput route = Inputs.route("acme");
        JsonNode routeJson = STRICT.readTree(AbiJson.encodeRoute(route, false).json());
        assertThat(AbiBinary.fromJson(routeJson, true)).isEqualTo(AbiBinary.encodeRoute(route, false).json());
    }

    @Test
    @DisplayName("non-ASCII, emoji and JSON-special characters in every kind of string")
    void nonAsciiStrings() {
        ObjectNode in = canonicalAdmit();
        String tricky = "q\"uo\\te/\b\f\n\r\t\u0001\u001f é 漢字 😀 end";
        ((ObjectNode) in.get("request")).put("model_ref", tricky);
        ((ObjectNode) in.get("tenant")).put("tier", "😀😀");
        ObjectNode labels = (ObjectNode) in.get("tenant").get("labels");
        labels.put("ключ", tricky);
        labels.put("k\"ey", "v\\al");
        ((ObjectNode) in.get("request").get("labels")).put("emoji-😀", "x");
        ((ObjectNode) in.get("request").get("labels")).put("exactly8", "eight-byte key");
        ((ObjectNode) in.get("request")).put("prompt", tricky.repeat(20));
        assertEchoes(in, AbiBinary.fromJson(in, false), "admit_slots");
    }

    @Test
    @DisplayName("extreme integers, nulls where the ABI allows them, empty maps, absent optional members")
    void numbersNullsAndAbsence() {
        ObjectNode in = canonicalAdmit();
        ObjectNode req = (ObjectNode) in.get("request");
        req.put("max_tokens", MAX_ABI_INTEGER);
        req.put("deadline_ms", -MAX_ABI_INTEGER);
        req.put("ctx", 0);
        req.putNull("engine");
        req.remove("prompt");
        req.set("labels", NODES.objectNode());
        ObjectNode quota = (ObjectNode) in.get("snapshot").get("quota");
        quota.putNull("max_concurrent");
        quota.put("max_queued", -1);
        quota.put("tokens_per_minute", MAX_ABI_INTEGER);
        ((ObjectNode) in.get("tenant")).set("labels", NODES.objectNode());
        ((ObjectNode) in.get("snapshot")).set("queues", NODES.objectNode());
        assertEchoes(in, AbiBinary.fromJson(in, false), "admit_slots");
    }

    @Test
    @DisplayName("route input: candidates with labels, alongside the admit members")
    void route() {
        ObjectNode in = (ObjectNode) STRICT.readTree(AbiJson.encodeRoute(Inputs.route("acme"), false).json());
        in.put("abi_version", AbiBinary.ABI_VERSION);
        assertThat(in.get("candidates").size()).isGreaterThan(1);
        ((ObjectNode) in.get("candidates").get(0).get("labels")).put("zone\"", "é😀");
        assertEchoes(in, AbiBinary.fromJson(in, true), "route_slots");
    }

    @Test
    @DisplayName("an input from an older 1.x host with fewer slots reads the missing members as absent")
    void fewerSlotsReadAsAbsent() {
        ObjectNode in = canonicalAdmit();
        byte[] bytes = AbiBinary.fromJson(in, false);
        bytes[8] = 23; // slot count: queues, model id and state are past the end
        ObjectNode snapshot = (ObjectNode) in.get("snapshot");
        snapshot.set("queues", NODES.objectNode());
        snapshot.putObject("model").put("id", "").put("state", "");
        assertEchoes(in, bytes, "admit_slots");
    }

    @Test
    @DisplayName("a 1.1 reader given anything but the slot layout fails the call with a message, never reads garbage")
    void notTheSlotLayoutFails() {
        // Fresh instances: a failed call leaves its instance unusable (the host discards it).
        PolicyModule module = TestHosts.compile(host, TestPlugins.resource("/policies/testing/sdk-echo.wasm"));
        byte[] json = AbiJson.encodeAdmit(Inputs.admit("acme"), false).json();
        assertThatThrownBy(() -> DirectCall.of(module, 16L << 20, 4096).callExport("admit_slots", new EncodedInput(json, facts())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not in the ABI 1.1 slot layout");
        assertThatThrownBy(() -> DirectCall.of(module, 16L << 20, 4096).callExport("admit_slots", new EncodedInput(new byte[3], facts())))
                .hasMessageContaining("not in the ABI 1.1 slot layout");
    }

    private static RequestFacts facts() {
        return new RequestFacts("acme", "t", 0, 0, 1, Priority.INTERACTIVE, 1, Map.of(), Set.of());
    }

    private static void assertEchoes(ObjectNode input, byte[] sent, String export) {
        byte[] out = echo.callExport(export, new EncodedInput(sent, facts()));
        JsonNode echoed = STRICT.readTree(out);
        JsonNode want = STRICT.readTree(STRICT.writeValueAsBytes(SdkJsonConformanceTest.expected(input)));
        assertThat(echoed).as("echo of %s", new String(out, StandardCharsets.UTF_8)).isEqualTo(want);
    }
}
