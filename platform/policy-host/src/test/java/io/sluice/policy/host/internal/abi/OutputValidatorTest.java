package io.sluice.policy.host.internal.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.policy.host.AdmitDecision;
import io.sluice.policy.host.Modifications;
import io.sluice.policy.host.Priority;
import io.sluice.policy.host.internal.abi.AbiJson.RequestFacts;
import io.sluice.policy.host.internal.abi.OutputValidator.AdmitParts;
import io.sluice.policy.host.internal.abi.OutputValidator.InvalidOutput;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("POL-1 POL-2 output validation: schema, then modify-only-tightens and route-subset rules")
class OutputValidatorTest {
    private static final AbiSchemas SCHEMAS = AbiSchemas.get();
    private static final RequestFacts FACTS = new RequestFacts("acme", "t", 0, 0, 256, Priority.INTERACTIVE, 60_000L,
            Map.of("team", "search"), Set.of("pool-a/r0", "pool-b/r1"));

    private static AdmitParts admit(String json) throws InvalidOutput {
        return OutputValidator.admit(json.getBytes(StandardCharsets.UTF_8), FACTS, SCHEMAS);
    }

    private static String invalidAdmit(String json) {
        InvalidOutput e = catchThrowableOfType(InvalidOutput.class, () -> admit(json));
        assertThat(e).as("must be invalid: %s", json).isNotNull();
        return e.getMessage();
    }

    @Test
    void acceptsAllowDenyAndTighteningModify() throws Exception {
        assertThat(admit("{\"decision\":\"allow\",\"reason\":\"\"}").decision()).isEqualTo(AdmitDecision.ALLOW);
        assertThat(admit("{\"decision\":\"deny\",\"reason\":\"no\"}").reason()).isEqualTo("no");
        AdmitParts m = admit("{\"decision\":\"modify\",\"reason\":\"cap\",\"modifications\":{\"max_tokens\":128,"
                + "\"priority\":\"batch\",\"deadline_ms\":1000,\"labels\":{\"team\":\"search\",\"cost\":\"low\"}}}");
        assertThat(m.modifications()).isEqualTo(new Modifications(128, Priority.BATCH, 1000L, Map.of("team", "search", "cost", "low")));
    }

    @Test
    void equalValuesAreAllowedNoOps() throws Exception {
        AdmitParts m = admit("{\"decision\":\"modify\",\"reason\":\"\",\"modifications\":{\"max_tokens\":256,\"deadline_ms\":60000}}");
        assertThat(m.modifications().maxTokens()).isEqualTo(256);
        assertThat(m.modifications().deadlineMs()).isEqualTo(60_000L);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "raises max_tokens|{\"decision\":\"modify\",\"reason\":\"\",\"modifications\":{\"max_tokens\":257}}|max_tokens 257 is above the requested 256",
        "moves to interactive|{\"decision\":\"modify\",\"reason\":\"\",\"modifications\":{\"priority\":\"interactive\"}}|admit.output.schema.json",
        "extends deadline|{\"decision\":\"modify\",\"reason\":\"\",\"modifications\":{\"deadline_ms\":60001}}|deadline_ms 60001 is later than the requested 60000",
        "changes a label|{\"decision\":\"modify\",\"reason\":\"\",\"modifications\":{\"labels\":{\"team\":\"ads\"}}}|changes existing label 'team'",
        "zero max_tokens|{\"decision\":\"modify\",\"reason\":\"\",\"modifications\":{\"max_tokens\":0}}|admit.output.schema.json",
        "unknown modification|{\"decision\":\"modify\",\"reason\":\"\",\"modifications\":{\"ctx\":10}}|admit.output.schema.json",
        "modify without modifications|{\"decision\":\"modify\",\"reason\":\"\"}|admit.output.schema.json",
        "modify with empty modifications|{\"decision\":\"modify\",\"reason\":\"\",\"modifications\":{}}|admit.output.schema.json",
        "allow with modifications|{\"decision\":\"allow\",\"reason\":\"\",\"modifications\":{\"max_tokens\":1}}|admit.output.schema.json",
        "unknown decision|{\"decision\":\"maybe\",\"reason\":\"\"}|admit.output.schema.json",
        "missing reason|{\"decision\":\"allow\"}|admit.output.schema.json",
        "unknown member|{\"decision\":\"allow\",\"reason\":\"\",\"debug\":1}|admit.output.schema.json",
        "duplicate key|{\"decision\":\"allow\",\"reason\":\"\",\"decision\":\"deny\"}|not a valid UTF-8 JSON",
        "two documents|{\"decision\":\"allow\",\"reason\":\"\"} {}|not a valid UTF-8 JSON",
        "array|[]|must be a JSON object",
        "empty|EMPTY|no output",
    })
    void rejectsInvalidOrLooseningOutput(String name, String json, String message) {
        assertThat(invalidAdmit(json.equals("EMPTY") ? "" : json)).contains(message);
    }

    @Test
    void rejectsReasonLongerThan512CodePoints() {
        String ok = "\\u00e9".repeat(512);
        String tooLong = "x".repeat(513);
        assertThat(catchThrowableOfType(InvalidOutput.class, () -> admit("{\"decision\":\"deny\",\"reason\":\"" + ok + "\"}"))).isNull();
        assertThat(invalidAdmit("{\"decision\":\"deny\",\"reason\":\"" + tooLong + "\"}")).contains("reason");
    }

    @Test
    void rejectsInvalidUtf8() {
        byte[] head = "{\"decision\":\"deny\",\"reason\":\"".getBytes(StandardCharsets.UTF_8);
        byte[] bad = java.util.Arrays.copyOf(head, head.length + 4);
        bad[head.length] = (byte) 0xC3;
        bad[head.length + 1] = (byte) 0x28;
        bad[head.length + 2] = '"';
        bad[head.length + 3] = '}';
        InvalidOutput e = catchThrowableOfType(InvalidOutput.class, () -> OutputValidator.admit(bad, FACTS, SCHEMAS));
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("not a valid UTF-8 JSON");
    }

    @Test
    void routeOrderIsASubsetOfTheCandidates() throws Exception {
        assertThat(OutputValidator.route("{\"order\":[\"pool-b/r1\",\"pool-a/r0\"]}".getBytes(StandardCharsets.UTF_8), FACTS, SCHEMAS))
                .containsExactly("pool-b/r1", "pool-a/r0");
        assertThat(OutputValidator.route("{\"order\":[\"pool-a/r0\"]}".getBytes(StandardCharsets.UTF_8), FACTS, SCHEMAS))
                .containsExactly("pool-a/r0");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "unknown id|{\"order\":[\"pool-a/r0\",\"pool-c/r9\"]}|'pool-c/r9', which is not one of the candidates",
        "duplicate|{\"order\":[\"pool-a/r0\",\"pool-a/r0\"]}|route.output.schema.json",
        "empty|{\"order\":[]}|route.output.schema.json",
        "not strings|{\"order\":[1]}|route.output.schema.json",
        "extra member|{\"order\":[\"pool-a/r0\"],\"why\":\"x\"}|route.output.schema.json",
    })
    void rejectsInvalidRouteOrders(String name, String json, String message) {
        InvalidOutput e = catchThrowableOfType(InvalidOutput.class,
                () -> OutputValidator.route(json.getBytes(StandardCharsets.UTF_8), FACTS, SCHEMAS));
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains(message);
    }

}
