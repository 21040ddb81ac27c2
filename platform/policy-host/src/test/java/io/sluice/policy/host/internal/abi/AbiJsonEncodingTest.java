package io.sluice.policy.host.internal.abi;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.Priority;
import io.sluice.policy.host.RouteInput;
import io.sluice.policy.host.internal.abi.AbiJson.EncodedInput;
import io.sluice.policy.host.internal.abi.AbiSchemas.Kind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The hand-written input encoder writes the very bytes the Jackson generator wrote ({@link
 * JacksonInputEncoder}), with the same facts and seed, for fixed awkward inputs and for random ones.
 */
@Tag("POL-1")
@Tag("POL-2")
@DisplayName("POL-1 POL-2 input encoding: byte-identical to the Jackson encoder, same facts and WASI seed")
class AbiJsonEncodingTest {
    private static final UUID TASK = UUID.fromString("6f1c1d0e-4f7e-4c59-9a59-6c1c2f5b8a10");
    private static final UUID SESSION = UUID.fromString("0b7e2f8a-1f33-4f0e-8d7c-2d3f1b9c4e21");

    private static AdmitInput input(String text, String engine, String prompt, Map<String, String> labels,
            Map<String, Integer> queues, AdmitInput.Quota quota) {
        return new AdmitInput(
                new AdmitInput.Tenant("acme" + text, "gold" + text, labels),
                new AdmitInput.Request(TASK, SESSION, "completion" + text, "dev-tiny" + text, engine, Priority.BATCH,
                        256, 60_000L, 2048, labels, prompt == null ? 0 : prompt.length(), prompt),
                new AdmitInput.Snapshot(1_764_000_000_000L, quota, queues, new AdmitInput.Model("m" + text, "Active" + text)));
    }

    private static final AdmitInput.Quota QUOTA = new AdmitInput.Quota(1, 2, null, 100, 5, 1000L);

    private static void assertSameBytes(AdmitInput in) {
        for (boolean includePrompt : new boolean[] {false, true}) {
            EncodedInput ref = JacksonInputEncoder.encodeAdmit(in, includePrompt);
            EncodedInput enc = AbiJson.encodeAdmit(in, includePrompt);
            assertThat(enc.json())
                    .as("admit, prompt %s:\n%s\n%s", includePrompt, utf8(ref.json()), utf8(enc.json()))
                    .isEqualTo(ref.json());
            assertThat(enc.facts()).isEqualTo(ref.facts());
            RouteInput route = new RouteInput(in, List.of(
                    new RouteInput.Candidate("pool-a/r0", "pool-a", "llamacpp", 3, Map.of("zone", "a")),
                    new RouteInput.Candidate(in.tenant().tier(), in.request().workload(), in.snapshot().model().state(), -1,
                            in.request().labels())));
            EncodedInput refRoute = JacksonInputEncoder.encodeRoute(route, includePrompt);
            EncodedInput encRoute = AbiJson.encodeRoute(route, includePrompt);
            assertThat(encRoute.json()).as("route:\n%s\n%s", utf8(refRoute.json()), utf8(encRoute.json()))
                    .isEqualTo(refRoute.json());
            assertThat(encRoute.facts()).isEqualTo(refRoute.facts());
            assertThat(List.copyOf(encRoute.facts().candidateIds())).isEqualTo(List.copyOf(refRoute.facts().candidateIds()));
        }
    }

    private static String utf8(byte[] b) {
        String s = new String(b, StandardCharsets.UTF_8);
        return s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
    }

    @Test
    void plainInputsMatch() {
        assertSameBytes(input("", "llamacpp", "hello", Map.of("team", "search"), Map.of("pool-a", 3, "pool-b", 0), QUOTA));
        assertSameBytes(AbiJsonTest.input("secret prompt"));
    }

    @Test
    void nullEngineAbsentPromptAndEmptyMapsMatch() {
        assertSameBytes(input("", null, null, Map.of(), Map.of(), QUOTA));
        assertSameBytes(input("", null, "", Map.of(), Map.of(), new AdmitInput.Quota(0, 0, null, null, 0, null)));
        assertSameBytes(input("", "vllm", "p", Map.of(), Map.of(), new AdmitInput.Quota(0, 0, 7, 8, 9, 10L)));
    }

    @Test
    void extremeNumbersMatch() {
        for (long n : new long[] {0, 1, -1, 9, 10, 99, 100, Integer.MAX_VALUE, Integer.MIN_VALUE, Long.MAX_VALUE,
            Long.MIN_VALUE, Long.MIN_VALUE + 1, 1_000_000_000_000_000_000L, -999_999_999_999_999_999L}) {
            int i = (int) n;
            AdmitInput in = new AdmitInput(
                    new AdmitInput.Tenant("t", "gold", Map.of()),
                    new AdmitInput.Request(TASK, SESSION, "completion", "m", "e", Priority.INTERACTIVE, i, n, i, Map.of(), i, "x"),
                    new AdmitInput.Snapshot(n, new AdmitInput.Quota(i, i, i, i, n, n), Map.of("p", i), new AdmitInput.Model("m", "s")));
            assertSameBytes(in);
        }
    }

    @Test
    void awkwardTextMatches() {
        List<String> texts = List.of(
                "\u00e9t\u00e9 \u4e2d\u6587 \u0416", "\ud83d\ude00\ud83c\udf89", "\"quoted\" back\\slash /slash/",
                "\u0000\u0001\u0007\b\t\n\u000b\f\r\u001b\u001f\u007f\u0080\u009f", "\u2028\u2029\ufeff\uffff",
                "lone \ud800 high", "lone \udc00 low", "end \ud83d", "\ude00\ud83d reversed", "</script><!--",
                "emoji at end \ud83d\ude00");
        for (String t : texts) {
            Map<String, String> labels = Map.of("k" + t, t, t, "v", "plain", "value");
            assertSameBytes(input(t, t, t, labels, Map.of(t, 1, "pool-" + t, 2), QUOTA));
        }
    }

    @Test
    void longPromptsAcrossBufferAndChunkBoundariesMatch() {
        Random r = new Random(42);
        String[] units = {"a", "\u00e9", "\u20ac", "\ud83d\ude00", "\n", "\"", "\ud800"};
        for (int len : new int[] {1023, 1024, 1025, 4095, 4096, 4097, 8191, 8192, 8193, 65_536, 200_003}) {
            StringBuilder b = new StringBuilder(len);
            while (b.length() < len) {
                b.append(r.nextInt(10) == 0 ? units[r.nextInt(units.length)] : "x");
            }
            assertSameBytes(input("", "e", b.toString(), Map.of(), Map.of(), QUOTA));
            // A surrogate pair exactly on the 4096-char chunk edge of the escaping loop.
            String edge = "\u00e9" + "y".repeat(4094) + "\ud83d\ude00" + "z".repeat(len % 7);
            assertSameBytes(input("", "e", edge, Map.of(), Map.of(), QUOTA));
        }
    }

    @Test
    void randomInputsMatch() {
        Random r = new Random(20_251_125L);
        String[] palette = {"a", "b", "Z", "0", " ", "-", "/", "\"", "\\", "\n", "\t", "\u0000", "\u001f", "\u007f",
            "\u00e9", "\u0800", "\u2028", "\uffff", "\ud83d\ude00", "\ud800", "\udfff", "\ud83d", "\ude00"};
        for (int i = 0; i < 2000; i++) {
            Map<String, String> labels = new HashMap<>();
            for (int k = r.nextInt(4); k > 0; k--) {
                labels.put(text(r, palette), text(r, palette));
            }
            Map<String, Integer> queues = new HashMap<>();
            for (int k = r.nextInt(4); k > 0; k--) {
                queues.put(text(r, palette), r.nextInt());
            }
            AdmitInput.Quota quota = new AdmitInput.Quota(r.nextInt(), r.nextInt(), r.nextBoolean() ? null : r.nextInt(),
                    r.nextBoolean() ? null : r.nextInt(), r.nextLong(), r.nextBoolean() ? null : r.nextLong());
            AdmitInput in = new AdmitInput(
                    new AdmitInput.Tenant(text(r, palette), text(r, palette), labels),
                    new AdmitInput.Request(new UUID(r.nextLong(), r.nextLong()), new UUID(r.nextLong(), r.nextLong()),
                            text(r, palette), text(r, palette), r.nextInt(5) == 0 ? null : text(r, palette),
                            Priority.values()[r.nextInt(Priority.values().length)], r.nextInt(), r.nextLong(), r.nextInt(),
                            labels, r.nextInt(), r.nextInt(3) == 0 ? null : text(r, palette)),
                    new AdmitInput.Snapshot(r.nextLong(), quota, queues, new AdmitInput.Model(text(r, palette), text(r, palette))));
            assertSameBytes(in);
        }
    }

    private static String text(Random r, String[] palette) {
        int len = r.nextInt(8) == 0 ? r.nextInt(300) : r.nextInt(12);
        StringBuilder b = new StringBuilder();
        while (b.length() < len) {
            b.append(r.nextInt(3) == 0 ? palette[r.nextInt(palette.length)] : "q");
        }
        return b.toString();
    }

    @Test
    void manyCandidatesMatchAndKeepTheirOrder() {
        AdmitInput admit = AbiJsonTest.input("p");
        List<RouteInput.Candidate> candidates = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            candidates.add(new RouteInput.Candidate("pool-" + (i % 7) + "/r" + i, "pool-" + (i % 7), "vllm", i,
                    i % 3 == 0 ? Map.of() : Map.of("zone", "z" + i, "gpu", "\u00e9" + i)));
        }
        candidates.add(candidates.get(5));
        RouteInput route = new RouteInput(admit, candidates);
        EncodedInput ref = JacksonInputEncoder.encodeRoute(route, true);
        EncodedInput enc = AbiJson.encodeRoute(route, true);
        assertThat(enc.json()).isEqualTo(ref.json());
        assertThat(List.copyOf(enc.facts().candidateIds())).isEqualTo(List.copyOf(ref.facts().candidateIds()));
        assertThat(AbiSchemas.get().validate(Kind.ROUTE_INPUT, AbiJson.MAPPER.readTree(enc.json()), 5)).isEmpty();
    }

    @Test
    void seedFromUuidBitsEqualsSeedFromItsText() {
        Random r = new Random(7);
        List<UUID> ids = new ArrayList<>(List.of(new UUID(0, 0), new UUID(-1, -1), new UUID(Long.MIN_VALUE, Long.MAX_VALUE), TASK));
        for (int i = 0; i < 1000; i++) {
            ids.add(new UUID(r.nextLong(), r.nextLong()));
            ids.add(UUID.randomUUID());
        }
        for (UUID u : ids) {
            assertThat(AbiJson.seedOf(u)).as(u.toString()).isEqualTo(JacksonInputEncoder.seedOf(u.toString()));
            assertThat(AbiJson.seedOf(u.toString())).isEqualTo(JacksonInputEncoder.seedOf(u.toString()));
        }
        for (String notUuid : List.of("not-a-uuid", "", "t-1", "\u00e9\ud83d\ude00", "1-2-3-4-5")) {
            assertThat(AbiJson.seedOf(notUuid)).as(notUuid).isEqualTo(JacksonInputEncoder.seedOf(notUuid));
        }
    }
}
