package io.sluice.policy.host.internal.abi;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.policy.host.Priority;
import io.sluice.policy.host.internal.abi.AbiJson.RequestFacts;
import io.sluice.policy.host.internal.abi.AbiSchemas.Kind;
import io.sluice.policy.host.internal.abi.OutputValidator.InvalidOutput;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The streaming output checks against the reference they replace ({@link SchemaOutputChecks}: whole tree,
 * networknt JSON Schema validation, then the semantic rules). For every output both must accept with the
 * same result, or both reject for the same kind of reason; where the reason is not the schema validator's
 * own wording (malformed JSON, not an object, a loosening modify, a non-candidate) the message is the
 * same too.
 *
 * <p>Two reviewed exceptions, both where the reference did not give a verdict the ABI allows:
 *
 * <ul>
 *   <li>outputs whose first four bytes hold 0x00, 0xFE or 0xFF: the reference let Jackson guess UTF-16 or
 *       UTF-32 from them and accepted such documents; the ABI requires UTF-8 and the streaming checks refuse
 *       them ({@link #refusesUtf16AndUtf32ThatTheReferenceDecoded});
 *   <li>a float max_tokens/deadline_ms beyond the long range (1e308, -9.3e18): the schema validator's
 *       {@code minimum} calls {@code asLong()}, which throws under Jackson 3, so the reference crashed
 *       (the host reported it as a guest TRAP); the streaming checks reject it as invalid output
 *       ({@link #crashesOfTheReferenceAreNowRejections}).
 * </ul>
 */
@Tag("POL-2")
@Tag("POL-3")
@DisplayName("POL-2 POL-3 streaming output checks give exactly the verdicts of tree + JSON Schema + semantic rules")
class OutputValidatorEquivalenceTest {
    private static final AbiSchemas SCHEMAS = AbiSchemas.get();
    private static final RequestFacts FACTS = new RequestFacts("acme", "t", 0, 0, 256, Priority.INTERACTIVE, 60_000L,
            Map.of("team", "search", "env", "prod"), candidates());

    private static Set<String> candidates() {
        Set<String> ids = new LinkedHashSet<>();
        for (int i = 0; i < 1100; i++) {
            ids.add("r" + i);
        }
        ids.add("\u00e9/r3");
        ids.add("\ud83d\ude00");
        return Set.copyOf(ids);
    }

    /** CRASHED: an unchecked exception instead of a verdict (only the reference ever does that). */
    enum Verdict { ACCEPTED, EMPTY, MALFORMED, NOT_OBJECT, SCHEMA, SEMANTIC, CRASHED }

    record Result(Verdict verdict, String message, Object value) {}

    interface Check {
        Object run() throws InvalidOutput;
    }

    private static Result result(Check check) {
        try {
            return new Result(Verdict.ACCEPTED, null, check.run());
        } catch (InvalidOutput e) {
            return new Result(verdictOf(e.getMessage()), e.getMessage(), null);
        } catch (RuntimeException e) {
            return new Result(Verdict.CRASHED, e.toString(), null);
        }
    }

    private static Verdict verdictOf(String message) {
        if (message.startsWith("plugin returned success but set no output")) {
            return Verdict.EMPTY;
        }
        if (message.startsWith("output is not a valid UTF-8 JSON document: ")) {
            return Verdict.MALFORMED;
        }
        if (message.equals("output must be a JSON object")) {
            return Verdict.NOT_OBJECT;
        }
        if (message.startsWith("output does not match ")) {
            return Verdict.SCHEMA;
        }
        return Verdict.SEMANTIC;
    }

    /** True where the reference let Jackson guess a non-UTF-8 encoding (the reviewed exception). */
    private static boolean notUtf8Start(byte[] b) {
        for (int i = 0; i < Math.min(4, b.length); i++) {
            int x = b[i] & 0xff;
            if (x == 0x00 || x == 0xfe || x == 0xff) {
                return true;
            }
        }
        return false;
    }

    /** Runs both and checks they agree; returns the shared verdict. */
    private static Verdict assertSame(byte[] output, Kind kind) {
        Result ref;
        Result streamed;
        if (kind == Kind.ADMIT_OUTPUT) {
            ref = result(() -> SchemaOutputChecks.admit(output, FACTS, SCHEMAS));
            streamed = result(() -> OutputValidator.admit(output, FACTS, SCHEMAS));
        } else {
            ref = result(() -> SchemaOutputChecks.route(output, FACTS, SCHEMAS));
            streamed = result(() -> OutputValidator.route(output, FACTS, SCHEMAS));
        }
        String doc = show(output);
        assertThat(streamed.verdict()).as("%s\nstreaming: %s", doc, streamed.message()).isNotEqualTo(Verdict.CRASHED);
        if (ref.verdict() == Verdict.CRASHED) {
            // The second reviewed exception (see crashesOfTheReferenceAreNowRejections).
            assertThat(ref.message()).as(doc).contains("cannot convert value").contains("to `long`");
            assertThat(streamed.verdict()).as(doc).isIn(Verdict.SCHEMA, Verdict.SEMANTIC);
            return streamed.verdict();
        }
        if (notUtf8Start(output)) {
            assertThat(streamed.verdict()).as("not UTF-8 at the start: %s", doc).isEqualTo(Verdict.MALFORMED);
            return Verdict.MALFORMED;
        }
        assertThat(streamed.verdict())
                .as("%s\nreference: %s\nstreaming: %s", doc, ref.message(), streamed.message())
                .isEqualTo(ref.verdict());
        switch (ref.verdict()) {
            case ACCEPTED -> assertThat(streamed.value()).as(doc).isEqualTo(ref.value());
            case SCHEMA -> assertThat(streamed.message()).as(doc).startsWith("output does not match " + kind.file + ": ");
            default -> assertThat(streamed.message()).as(doc).isEqualTo(ref.message());
        }
        return ref.verdict();
    }

    private static String show(byte[] output) {
        String s = new String(output, StandardCharsets.UTF_8);
        return s.length() > 400 ? s.substring(0, 400) + "... (" + output.length + " bytes)" : s;
    }

    static Stream<Arguments> admitEdgeCases() {
        return OutputCorpus.admitEdgeCases().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    static Stream<Arguments> routeEdgeCases() {
        return OutputCorpus.routeEdgeCases().entrySet().stream().map(e -> Arguments.of(e.getKey(), e.getValue()));
    }

    @ParameterizedTest(name = "admit {0}")
    @MethodSource("admitEdgeCases")
    @DisplayName("POL-2 POL-3 admit edge case: same verdict as the schema path")
    void admitEdgeCase(String name, byte[] output) {
        assertSame(output, Kind.ADMIT_OUTPUT);
    }

    @ParameterizedTest(name = "route {0}")
    @MethodSource("routeEdgeCases")
    @DisplayName("POL-2 POL-3 route edge case: same verdict as the schema path")
    void routeEdgeCase(String name, byte[] output) {
        assertSame(output, Kind.ROUTE_OUTPUT);
    }

    @Test
    @DisplayName("POL-2 POL-3 edge cases reach every verdict, so the comparison is not vacuous")
    void edgeCasesReachEveryVerdict() {
        Map<Verdict, Integer> admit = tally(OutputCorpus.admitEdgeCases().values(), Kind.ADMIT_OUTPUT);
        Map<Verdict, Integer> route = tally(OutputCorpus.routeEdgeCases().values(), Kind.ROUTE_OUTPUT);
        Verdict[] verdicts = EnumSet.complementOf(EnumSet.of(Verdict.CRASHED)).toArray(new Verdict[0]);
        assertThat(admit).containsOnlyKeys(verdicts);
        assertThat(route).containsOnlyKeys(verdicts);
        assertThat(admit.get(Verdict.ACCEPTED)).as("%s", admit).isGreaterThan(50);
        assertThat(admit.get(Verdict.SCHEMA)).as("%s", admit).isGreaterThan(200);
        assertThat(admit.get(Verdict.SEMANTIC)).as("%s", admit).isGreaterThan(20);
    }

    @Test
    @DisplayName("POL-2 POL-3 5000 random admit outputs (seeded, a quarter byte-mutated): same verdicts")
    void randomAdmitOutputs() {
        Map<Verdict, Integer> seen = tally(OutputCorpus.randomAdmit(20_251_125L, 5000), Kind.ADMIT_OUTPUT);
        assertThat(seen.get(Verdict.ACCEPTED)).as("%s", seen).isGreaterThan(500);
        assertThat(seen.get(Verdict.SCHEMA)).as("%s", seen).isGreaterThan(500);
        assertThat(seen.get(Verdict.SEMANTIC)).as("%s", seen).isGreaterThan(300);
        assertThat(seen.get(Verdict.MALFORMED)).as("%s", seen).isGreaterThan(500);
    }

    @Test
    @DisplayName("POL-2 POL-3 3000 random route outputs (seeded, a quarter byte-mutated): same verdicts")
    void randomRouteOutputs() {
        Map<Verdict, Integer> seen = tally(OutputCorpus.randomRoute(7_001L, 3000), Kind.ROUTE_OUTPUT);
        assertThat(seen.get(Verdict.ACCEPTED)).as("%s", seen).isGreaterThan(300);
        assertThat(seen.get(Verdict.SCHEMA)).as("%s", seen).isGreaterThan(300);
        assertThat(seen.get(Verdict.SEMANTIC)).as("%s", seen).isGreaterThan(100);
        assertThat(seen.get(Verdict.MALFORMED)).as("%s", seen).isGreaterThan(300);
    }

    private static Map<Verdict, Integer> tally(Iterable<byte[]> outputs, Kind kind) {
        Map<Verdict, Integer> seen = new EnumMap<>(Verdict.class);
        for (byte[] output : outputs) {
            seen.merge(assertSame(output, kind), 1, Integer::sum);
        }
        return seen;
    }

    @Test
    @DisplayName("POL-2 POL-3 the reviewed exception: UTF-16/UTF-32 output, once decoded by guesswork, is now refused")
    void refusesUtf16AndUtf32ThatTheReferenceDecoded() {
        String ok = "{\"decision\":\"allow\",\"reason\":\"ok\"}";
        for (java.nio.charset.Charset cs : List.of(StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE,
                StandardCharsets.UTF_16, java.nio.charset.Charset.forName("UTF-32BE"), java.nio.charset.Charset.forName("UTF-32LE"))) {
            byte[] output = ok.getBytes(cs);
            assertThat(result(() -> SchemaOutputChecks.admit(output, FACTS, SCHEMAS)).verdict()).as(cs.name()).isEqualTo(Verdict.ACCEPTED);
            Result streamed = result(() -> OutputValidator.admit(output, FACTS, SCHEMAS));
            assertThat(streamed.verdict()).as(cs.name()).isEqualTo(Verdict.MALFORMED);
            assertThat(streamed.message()).contains("UTF-8");
        }
        byte[] bom = OutputCorpus.concat(OutputCorpus.bytes(0xEF, 0xBB, 0xBF), OutputCorpus.utf8(ok));
        assertThat(result(() -> OutputValidator.admit(bom, FACTS, SCHEMAS)).verdict()).isEqualTo(Verdict.ACCEPTED);
    }

    @Test
    @DisplayName("POL-2 POL-3 the reviewed exception: floats beyond long range crashed the schema validator, now a rejection")
    void crashesOfTheReferenceAreNowRejections() {
        for (String n : List.of("1e308", "9.3e18", "-9.3e18", "1.7976931348623157e308")) {
            for (String member : List.of("max_tokens", "deadline_ms")) {
                byte[] output = OutputCorpus.utf8(OutputCorpus.modify("{\"" + member + "\":" + n + "}"));
                assertThat(result(() -> SchemaOutputChecks.admit(output, FACTS, SCHEMAS)).verdict()).as(n).isEqualTo(Verdict.CRASHED);
                Result streamed = result(() -> OutputValidator.admit(output, FACTS, SCHEMAS));
                assertThat(streamed.verdict()).as(n).isEqualTo(n.startsWith("-") ? Verdict.SCHEMA : Verdict.SEMANTIC);
                assertThat(streamed.message()).contains(member, "integer >= 1");
            }
        }
    }

    @Test
    @DisplayName("POL-2 POL-3 schema messages name the member and the rule")
    void schemaMessagesNameTheMemberAndTheRule() {
        assertThat(streamedMessage("{\"decision\":\"allow\",\"reason\":\"\",\"debug\":1}")).contains("$.debug", "additionalProperties");
        assertThat(streamedMessage("{\"decision\":\"modify\",\"reason\":\"\",\"modifications\":{\"max_tokens\":0}}"))
                .contains("$.modifications.max_tokens", "minimum");
        assertThat(streamedMessage("{\"decision\":\"modify\",\"reason\":\"\",\"modifications\":{\"labels\":{\"Team\":\"x\"}}}"))
                .contains("$.modifications.labels", "'Team'", "propertyNames");
        assertThat(streamedMessage("{\"decision\":\"deny\",\"reason\":\"" + "x".repeat(513) + "\"}"))
                .contains("$.reason", "512 code points", "maxLength");
        assertThat(streamedMessage("{\"decision\":\"modify\",\"reason\":\"\"}")).contains("$.modifications", "required");
        assertThat(streamedMessage("{\"decision\":\"allow\",\"reason\":\"\",\"modifications\":{\"max_tokens\":1}}"))
                .contains("$.modifications", "only allowed when decision is 'modify'");
    }

    private static String streamedMessage(String json) {
        Result r = result(() -> OutputValidator.admit(json.getBytes(StandardCharsets.UTF_8), FACTS, SCHEMAS));
        assertThat(r.verdict()).isEqualTo(Verdict.SCHEMA);
        return r.message();
    }
}
