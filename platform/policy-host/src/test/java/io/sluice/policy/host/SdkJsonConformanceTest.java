package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.policy.host.internal.abi.AbiJson;
import io.sluice.policy.host.internal.abi.AbiJson.EncodedInput;
import io.sluice.policy.host.internal.abi.AbiJson.RequestFacts;
import io.sluice.policy.host.internal.DirectCall;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import tools.jackson.core.json.JsonWriteFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The AssemblyScript SDK reads inputs with its own JSON reader and writes outputs with its own writer
 * (policy-sdk/assemblyscript/assembly/json.ts). The {@code sdk-echo} test plugin reads every input member
 * through the SDK's classes and writes them back with the SDK's writer; this test sends inputs in the
 * shapes JSON allows (white space, member order, unknown members, escapes, extreme integers) and checks
 * that the echo, parsed strictly by Jackson, equals what the input says.
 */
@DisplayName("POL-1 POL-7 the SDK's JSON reader and writer agree with Jackson on every ABI input shape")
class SdkJsonConformanceTest {
    private static final JsonMapper STRICT = AbiJson.MAPPER;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
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
        return (ObjectNode) STRICT.readTree(AbiJson.encodeAdmit(Inputs.admit("acme"), true).json());
    }

    @Test
    @DisplayName("compact input as the host encodes it")
    void compact() {
        ObjectNode in = canonicalAdmit();
        assertEchoes(in, STRICT.writeValueAsBytes(in), "admit");
    }

    @Test
    @DisplayName("pretty-printed input: white space between every token")
    void whiteSpace() {
        ObjectNode in = canonicalAdmit();
        byte[] pretty = STRICT.writer().with(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(in);
        String tabbed = new String(pretty, StandardCharsets.UTF_8).replace("  ", "\t \r\n ");
        assertEchoes(in, tabbed.getBytes(StandardCharsets.UTF_8), "admit");
    }

    @Test
    @DisplayName("members in reverse order and unknown members of every JSON type at every level")
    void reorderedWithUnknownMembers() {
        ObjectNode in = canonicalAdmit();
        ObjectNode shuffled = reversedWithNoise(in);
        assertEchoes(in, STRICT.writeValueAsBytes(shuffled), "admit");
    }

    @Test
    @DisplayName("strings with quotes, backslashes, control characters, non-ASCII and emoji, raw and \\u-escaped")
    void escapes() {
        ObjectNode in = canonicalAdmit();
        String tricky = "q\"uo\\te/\b\f\n\r\t\u0001\u001f é 漢字 😀 end";
        ((ObjectNode) in.get("request")).put("model_ref", tricky);
        ((ObjectNode) in.get("tenant")).put("tier", "😀😀");
        ObjectNode labels = (ObjectNode) in.get("tenant").get("labels");
        labels.put("ключ", tricky);
        labels.put("k\"ey", "v\\al");
        ((ObjectNode) in.get("request").get("labels")).put("emoji-😀", "x");
        ((ObjectNode) in.get("request")).put("prompt", tricky.repeat(20));
        assertEchoes(in, STRICT.writeValueAsBytes(in), "admit");
        byte[] asciiOnly = STRICT.writer().with(JsonWriteFeature.ESCAPE_NON_ASCII).writeValueAsBytes(in);
        assertThat(new String(asciiOnly, StandardCharsets.UTF_8)).contains("\\uD83D\\uDE00").doesNotContain("😀");
        assertEchoes(in, asciiOnly, "admit");
    }

    @Test
    @DisplayName("member names written with escapes mean the same member")
    void escapedMemberNames() {
        ObjectNode in = canonicalAdmit();
        String json = new String(STRICT.writeValueAsBytes(in), StandardCharsets.UTF_8)
                .replace("\"model_ref\"", "\"mod\\u0065l_ref\"")
                .replace("\"tenant\"", "\"t\\u0065nant\"");
        assertThat(json).contains("mod\\u0065l_ref");
        assertEchoes(in, json.getBytes(StandardCharsets.UTF_8), "admit");
    }

    @Test
    @DisplayName("extreme integers, nulls where the ABI allows them, empty maps, absent optional members")
    void numbersNullsAndAbsence() {
        ObjectNode in = canonicalAdmit();
        ObjectNode req = (ObjectNode) in.get("request");
        req.put("max_tokens", Long.MAX_VALUE);
        req.put("deadline_ms", Long.MIN_VALUE);
        req.put("ctx", 0);
        req.putNull("engine");
        req.remove("prompt");
        req.set("labels", NODES.objectNode());
        ObjectNode quota = (ObjectNode) in.get("snapshot").get("quota");
        quota.putNull("max_concurrent");
        quota.put("max_queued", -1);
        quota.put("tokens_per_minute", 9_007_199_254_740_993L);
        ((ObjectNode) in.get("tenant")).set("labels", NODES.objectNode());
        ((ObjectNode) in.get("snapshot")).set("queues", NODES.objectNode());
        assertEchoes(in, STRICT.writeValueAsBytes(in), "admit");
    }

    @Test
    @DisplayName("route input: candidates with labels, alongside the admit members")
    void route() {
        ObjectNode in = (ObjectNode) STRICT.readTree(AbiJson.encodeRoute(Inputs.route("acme"), false).json());
        assertThat(in.get("candidates").size()).isGreaterThan(1);
        ((ObjectNode) in.get("candidates").get(0).get("labels")).put("zone\"", "é😀");
        assertEchoes(in, STRICT.writeValueAsBytes(reversedWithNoise(in)), "route");
    }

    @Test
    @DisplayName("POL-2 an SDK plugin frees each call's memory: 20,000 calls run in one instance under a 2 MiB budget")
    void callsDoNotAccumulateMemory() throws Exception {
        // Plugins use AssemblyScript's minimal runtime, which collects only when the SDK asks at the end of a
        // call. Were a call's garbage kept, ~1 KB per call would exhaust the budget within the first few
        // thousand calls: a memory error, and a discarded instance.
        PolicyLimits limits = TestHosts.relaxedLimits().memoryBytes(2L << 20).instancesPerModule(1).warmUpCalls(0).build();
        try (PolicyHost small = PolicyHost.create(limits, PolicyTelemetry.NONE, ExecutionMode.COMPILED)) {
            PolicyModule allowlist = TestHosts.compile(small, TestPlugins.example("model-allowlist"));
            AdmitInput input = Inputs.admit("acme");
            for (int i = 0; i < 20_000; i++) {
                AdmitOutcome o = small.admit("acme", allowlist, input);
                assertThat(o.isError()).as("call %d: %s", i, o.error()).isFalse();
            }
            PoolStats stats = TestHosts.settled(small, "acme", allowlist);
            assertThat(stats.created()).isEqualTo(1);
            assertThat(stats.discarded()).isZero();
        }
    }

    // ------------------------------------------------------------------------------------------

    private static void assertEchoes(ObjectNode input, byte[] sent, String hook) {
        RequestFacts facts = new RequestFacts("acme", "t", 0, 0, 1, Priority.INTERACTIVE, 1, Map.of(), Set.of());
        byte[] out = hook.equals("route") ? echo.callRoute(new EncodedInput(sent, facts)) : echo.call(new EncodedInput(sent, facts));
        JsonNode echoed = STRICT.readTree(out);
        // Round-tripped so that numbers compare by value, not by node class (IntNode vs LongNode).
        JsonNode want = STRICT.readTree(STRICT.writeValueAsBytes(expected(input)));
        assertThat(echoed).as("echo of %s", new String(sent, StandardCharsets.UTF_8)).isEqualTo(want);
    }

    /** What the echo must say: the ABI members of the input, with the label lookups it performs. */
    static ObjectNode expected(ObjectNode in) {
        ObjectNode e = NODES.objectNode();
        e.put("abi_version", in.path("abi_version").stringValue(""));
        JsonNode t = in.path("tenant");
        ObjectNode tenant = e.putObject("tenant");
        tenant.put("id", t.path("id").stringValue(""));
        tenant.put("tier", t.path("tier").stringValue(""));
        tenant.set("labels", t.has("labels") ? t.get("labels").deepCopy() : NODES.objectNode());
        JsonNode r = in.path("request");
        ObjectNode req = e.putObject("request");
        for (String f : List.of("task_id", "session_id", "workload", "model_ref")) {
            req.put(f, r.path(f).stringValue(""));
        }
        req.set("engine", r.path("engine").isString() ? r.get("engine") : NODES.nullNode());
        req.put("priority", r.path("priority").stringValue(""));
        for (String f : List.of("max_tokens", "deadline_ms", "ctx")) {
            req.put(f, r.path(f).asLong(0));
        }
        ObjectNode labels = r.has("labels") ? (ObjectNode) r.get("labels").deepCopy() : NODES.objectNode();
        req.set("labels", labels);
        req.put("prompt_chars", r.path("prompt_chars").asLong(0));
        if (r.path("prompt").isString()) {
            req.put("prompt", r.get("prompt").stringValue());
        }
        req.set("label_lookups", labels.deepCopy());
        JsonNode s = in.path("snapshot");
        ObjectNode snap = e.putObject("snapshot");
        snap.put("time_ms", s.path("time_ms").asLong(0));
        ObjectNode quota = snap.putObject("quota");
        JsonNode q = s.path("quota");
        quota.put("running", q.path("running").asLong(0));
        quota.put("queued", q.path("queued").asLong(0));
        quota.set("max_concurrent", q.path("max_concurrent").isNumber() ? q.get("max_concurrent") : NODES.nullNode());
        quota.set("max_queued", q.path("max_queued").isNumber() ? q.get("max_queued") : NODES.nullNode());
        quota.put("tokens_per_minute_used", q.path("tokens_per_minute_used").asLong(0));
        quota.set("tokens_per_minute", q.path("tokens_per_minute").isNumber() ? q.get("tokens_per_minute") : NODES.nullNode());
        ObjectNode queues = snap.putObject("queues");
        for (Map.Entry<String, JsonNode> pool : s.path("queues").properties()) {
            queues.putObject(pool.getKey()).put("depth", pool.getValue().path("depth").asLong(0));
        }
        ObjectNode model = snap.putObject("model");
        model.put("id", s.path("model").path("id").stringValue(""));
        model.put("state", s.path("model").path("state").stringValue(""));
        if (in.has("candidates")) {
            ArrayNode cs = e.putArray("candidates");
            for (JsonNode c : in.get("candidates").values()) {
                ObjectNode o = cs.addObject();
                o.put("replica_id", c.path("replica_id").stringValue(""));
                o.put("pool_id", c.path("pool_id").stringValue(""));
                o.put("engine", c.path("engine").stringValue(""));
                o.put("free_slots", c.path("free_slots").asLong(0));
                o.set("labels", c.has("labels") ? c.get("labels").deepCopy() : NODES.objectNode());
            }
        }
        return e;
    }

    /** A copy with every object's members reversed and unknown members of each JSON type added. */
    private static ObjectNode reversedWithNoise(ObjectNode in) {
        ObjectNode out = NODES.objectNode();
        out.put("zz_unknown_string", "} ] { [ \" \\ , :");
        List<Map.Entry<String, JsonNode>> members = new ArrayList<>(in.properties());
        Collections.reverse(members);
        for (Map.Entry<String, JsonNode> m : members) {
            JsonNode v = m.getValue();
            if (v instanceof ObjectNode o && !isStringMap(m.getKey())) {
                out.set(m.getKey(), reversedWithNoise(o));
            } else if (v instanceof ArrayNode a) {
                ArrayNode copy = out.putArray(m.getKey());
                for (JsonNode el : a.values()) {
                    copy.add(el instanceof ObjectNode o ? reversedWithNoise(o) : el);
                }
            } else {
                out.set(m.getKey(), v);
            }
        }
        ObjectNode nested = out.putObject("zz_unknown_object");
        nested.putArray("a").add(1.5e300).add(-0.0).add(true).add(false).addNull().add("x\"}").addObject().put("k", "]");
        out.put("zz_unknown_number", -12.5e-3);
        out.put("zz_unknown_true", true);
        out.putNull("zz_unknown_null");
        return out;
    }

    /** Label maps must stay maps of strings: an unknown member there would be a label. */
    private static boolean isStringMap(String name) {
        return name.equals("labels") || name.equals("queues");
    }
}
