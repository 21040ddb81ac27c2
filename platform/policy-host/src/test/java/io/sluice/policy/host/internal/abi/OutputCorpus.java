package io.sluice.policy.host.internal.abi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Guest outputs for the output-check equivalence tests: hand-written edge cases for every keyword of the
 * admit and route output schemas, and deterministic random outputs (valid, nearly valid, and byte-level
 * mutations of both).
 */
final class OutputCorpus {
    private OutputCorpus() {}

    /** Values that are the wrong type (or the wrong number) for nearly every member. */
    static final List<String> ODD_VALUES = List.of(
            "null", "true", "false", "0", "1", "-1", "1.0", "1e3", "-0", "-0.0", "1.5", "1e400", "-1e400",
            "99999999999999999999", "\"\"", "\"x\"", "\"batch\"", "\"allow\"", "\"1\"", "[]", "[1]", "[\"x\"]", "{}",
            "{\"a\":\"b\"}");

    /** Numbers around every bound a max_tokens or deadline_ms can hit (request: 256 tokens, 60000 ms). */
    static final List<String> NUMBERS = List.of(
            "0", "1", "2", "-1", "-0", "255", "256", "257", "59999", "60000", "60001", "2147483647", "2147483648",
            "-2147483648", "-2147483649", "4294967296", "9223372036854775807", "9223372036854775808",
            "-9223372036854775808", "-9223372036854775809", "99999999999999999999999999", "-99999999999999999999999999",
            "1.0", "256.0", "257.0", "1e2", "1E2", "2.56e2", "1e0", "0.0", "-0.0", "0.5", "1.5", "1e-1", "1e400",
            "-1e400", "1e-400", "1e308", "1.0000000000000000000001", "0.99999999999999999999", "100e-2", "6e4",
            "6.0001e4", "9.3e18", "-9.3e18", "1" + "0".repeat(999), "1" + "0".repeat(1000), "1." + "0".repeat(1000),
            "1e" + "0".repeat(1000));

    static final List<String> LABEL_KEYS = List.of(
            "a", "z", "0", "team", "env", "cost", "ab", "a-b", "a.b", "a_b", "a/b", "a--b", "a..b", "9z", "a-", "-a",
            ".a", "a.", "_a", "a_", "/a", "a/", "A", "aB", "a b", "a\n", "\na", "a\t", "a\u0000b", "\u00e9", "a\u00e9",
            "a\ud83d\ude00", "", " ", "a:b", "a+b", "a$", "a\r\n", "a\u2028", "x".repeat(62), "x".repeat(63),
            "x".repeat(64), "a" + "-".repeat(61) + "b", "a" + "-".repeat(62) + "b", "\ud800", "a\udc00");

    static final List<String> STRINGS = List.of(
            "", "x", "search", "prod", "batch", "interactive", "\u00e9t\u00e9", "\ud83d\ude00", "\u0000", "\n", "\"",
            "\\", "\u2028", "\ud800", "\udfff", "\ud83d", "a\ud83d\ude00b", "\u007f", "/", "</script>");

    static String str(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || Character.isSurrogate(c) && !validPairAt(s, i)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    private static boolean validPairAt(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    /** A JSON string of exactly {@code codePoints} code points made of {@code unit} repeated. */
    static String repeated(String unit, int codePoints) {
        int per = unit.codePointCount(0, unit.length());
        return str(unit.repeat(codePoints / per));
    }

    static String obj(String... kv) {
        StringBuilder b = new StringBuilder("{");
        for (int i = 0; i < kv.length; i += 2) {
            if (i > 0) {
                b.append(',');
            }
            b.append(str(kv[i])).append(':').append(kv[i + 1]);
        }
        return b.append('}').toString();
    }

    static String modify(String mods) {
        return "{\"decision\":\"modify\",\"reason\":\"r\",\"modifications\":" + mods + "}";
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    /** Hand-written admit outputs, by name. */
    static Map<String, byte[]> admitEdgeCases() {
        Map<String, byte[]> c = new LinkedHashMap<>();
        String allow = "{\"decision\":\"allow\",\"reason\":\"ok\"}";
        c.put("allow", utf8(allow));
        c.put("deny", utf8("{\"decision\":\"deny\",\"reason\":\"no\"}"));
        c.put("reason first", utf8("{\"reason\":\"ok\",\"decision\":\"allow\"}"));
        c.put("whitespace everywhere", utf8(" \r\n\t{ \"decision\" :\n\"allow\" ,\t\"reason\" : \"\" }\n\r\t "));
        c.put("utf-8 bom", concat(bytes(0xEF, 0xBB, 0xBF), utf8(allow)));
        c.put("full modify", utf8(modify("{\"max_tokens\":128,\"priority\":\"batch\",\"deadline_ms\":1000,"
                + "\"labels\":{\"team\":\"search\",\"cost\":\"low\"}}")));
        for (String d : List.of("\"allow\"", "\"deny\"", "\"modify\"", "\"Allow\"", "\"ALLOW\"", "\"\"", "\"allow \"",
                "\"maybe\"")) {
            c.put("decision " + d, utf8("{\"decision\":" + d + ",\"reason\":\"\"}"));
            c.put("decision " + d + " with mods", utf8("{\"decision\":" + d + ",\"reason\":\"\",\"modifications\":{\"max_tokens\":1}}"));
            c.put("decision " + d + " with empty mods", utf8("{\"decision\":" + d + ",\"reason\":\"\",\"modifications\":{}}"));
        }
        for (String v : ODD_VALUES) {
            c.put("decision=" + v, utf8("{\"decision\":" + v + ",\"reason\":\"\"}"));
            c.put("reason=" + v, utf8("{\"decision\":\"deny\",\"reason\":" + v + "}"));
            c.put("modifications=" + v, utf8("{\"decision\":\"modify\",\"reason\":\"\",\"modifications\":" + v + "}"));
            c.put("allow modifications=" + v, utf8("{\"decision\":\"allow\",\"reason\":\"\",\"modifications\":" + v + "}"));
            c.put("max_tokens=" + v, utf8(modify("{\"max_tokens\":" + v + "}")));
            c.put("deadline_ms=" + v, utf8(modify("{\"deadline_ms\":" + v + "}")));
            c.put("priority=" + v, utf8(modify("{\"priority\":" + v + "}")));
            c.put("labels=" + v, utf8(modify("{\"labels\":" + v + "}")));
            c.put("label value=" + v, utf8(modify("{\"labels\":{\"k\":" + v + "}}")));
            c.put("unknown member=" + v, utf8("{\"decision\":\"allow\",\"reason\":\"\",\"x\":" + v + "}"));
            c.put("unknown modification=" + v, utf8(modify("{\"max_tokens\":1,\"ctx\":" + v + "}")));
        }
        for (String n : NUMBERS) {
            c.put("max_tokens " + n, utf8(modify("{\"max_tokens\":" + n + "}")));
            c.put("deadline_ms " + n, utf8(modify("{\"deadline_ms\":" + n + "}")));
        }
        for (String p : List.of("\"batch\"", "\"interactive\"", "\"BATCH\"", "\"batch \"", "\"\"")) {
            c.put("priority " + p, utf8(modify("{\"priority\":" + p + "}")));
        }
        c.put("missing decision", utf8("{\"reason\":\"\"}"));
        c.put("missing reason", utf8("{\"decision\":\"allow\"}"));
        c.put("missing both", utf8("{}"));
        c.put("modify without modifications", utf8("{\"decision\":\"modify\",\"reason\":\"\"}"));
        c.put("modify with empty modifications", utf8(modify("{}")));
        c.put("deny with modifications", utf8("{\"decision\":\"deny\",\"reason\":\"\",\"modifications\":{\"max_tokens\":1}}"));
        c.put("empty labels", utf8(modify("{\"labels\":{}}")));
        c.put("loosening before unknown member", utf8(modify("{\"max_tokens\":999,\"ctx\":1}")));
        c.put("loosening before bad label key", utf8(modify("{\"max_tokens\":999,\"labels\":{\"A\":\"x\"}}")));
        c.put("two loosenings (first wins)", utf8(modify("{\"deadline_ms\":70000,\"max_tokens\":999}")));
        c.put("label change then raise", utf8(modify("{\"labels\":{\"team\":\"ads\"},\"max_tokens\":999}")));
        c.put("same label value", utf8(modify("{\"labels\":{\"team\":\"search\"}}")));
        c.put("label change", utf8(modify("{\"labels\":{\"team\":\"ads\"}}")));
        c.put("label change after schema error", utf8(modify("{\"labels\":{\"team\":\"ads\"},\"priority\":\"x\"}")));
        c.put("loosening then trailing garbage", concat(utf8(modify("{\"max_tokens\":999}")), utf8(" x")));
        c.put("schema error then malformed", utf8("{\"decision\":\"maybe\",\"reason\":\"\",}"));
        c.put("schema error then duplicate", utf8("{\"x\":1,\"decision\":\"allow\",\"reason\":\"\",\"decision\":\"deny\"}"));
        for (int cps : new int[] {0, 1, 511, 512, 513, 1024, 1025}) {
            for (String unit : List.of("x", "\u00e9", "\u20ac", "\ud83d\ude00", "x\ud83d\ude00")) {
                c.put("reason " + cps + " cp of " + unit, utf8("{\"decision\":\"deny\",\"reason\":" + repeated(unit, cps) + "}"));
            }
        }
        c.put("reason 300 emoji escaped", utf8("{\"decision\":\"deny\",\"reason\":\"" + "\\ud83d\\ude00".repeat(300) + "\"}"));
        c.put("reason 513 lone surrogates", utf8("{\"decision\":\"deny\",\"reason\":\"" + "\\ud800".repeat(513) + "\"}"));
        c.put("reason 512 lone surrogates", utf8("{\"decision\":\"deny\",\"reason\":\"" + "\\ud800".repeat(512) + "\"}"));
        c.put("reason 256 emoji + 1 lone", utf8("{\"decision\":\"deny\",\"reason\":\"" + "\\ud83d\\ude00".repeat(256) + "\\ud83d\"}"));
        for (String s : STRINGS) {
            c.put("reason " + str(s), utf8("{\"decision\":\"deny\",\"reason\":" + str(s) + "}"));
            c.put("label value " + str(s), utf8(modify("{\"labels\":{\"k\":" + str(s) + "}}")));
        }
        for (String k : LABEL_KEYS) {
            c.put("label key " + str(k), utf8(modify("{\"labels\":{" + str(k) + ":\"v\"}}")));
        }
        for (int n : new int[] {1, 2, 15, 16, 17, 40}) {
            StringBuilder b = new StringBuilder("{");
            for (int i = 0; i < n; i++) {
                b.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
            }
            c.put(n + " labels", utf8(modify("{\"labels\":" + b + "}}")));
        }
        for (int cps : new int[] {255, 256, 257}) {
            for (String unit : List.of("v", "\u00e9", "\ud83d\ude00")) {
                c.put("label value " + cps + " cp of " + unit, utf8(modify("{\"labels\":{\"k\":" + repeated(unit, cps) + "}}")));
            }
        }
        c.put("duplicate decision", utf8("{\"decision\":\"allow\",\"reason\":\"\",\"decision\":\"allow\"}"));
        c.put("duplicate reason", utf8("{\"decision\":\"allow\",\"reason\":\"\",\"reason\":\"\"}"));
        c.put("duplicate modifications", utf8("{\"decision\":\"modify\",\"reason\":\"\",\"modifications\":{\"max_tokens\":1},\"modifications\":{\"max_tokens\":1}}"));
        c.put("duplicate max_tokens", utf8(modify("{\"max_tokens\":1,\"max_tokens\":2}")));
        c.put("duplicate label", utf8(modify("{\"labels\":{\"a\":\"x\",\"a\":\"x\"}}")));
        c.put("duplicate unknown", utf8("{\"decision\":\"allow\",\"reason\":\"\",\"x\":1,\"x\":2}"));
        c.put("duplicate inside unknown", utf8("{\"decision\":\"allow\",\"reason\":\"\",\"x\":{\"a\":1,\"a\":2}}"));
        c.put("escaped name", utf8("{\"d\\u0065cision\":\"allow\",\"reason\":\"\"}"));
        c.put("escaped duplicate", utf8("{\"decision\":\"allow\",\"reason\":\"\",\"d\\u0065cision\":\"deny\"}"));
        c.put("unknown nested deep", utf8("{\"decision\":\"allow\",\"reason\":\"\",\"x\":[[[{\"a\":[1,{}]}]]]}"));
        nonObjectsAndGarbage(c, allow);
        invalidUtf8(c, "{\"decision\":\"deny\",\"reason\":\"", "\"}");
        invalidUtf8(c, "{\"decision\":\"modify\",\"reason\":\"r\",\"modifications\":{\"labels\":{\"k\":\"", "\"}}}");
        return c;
    }

    /** Hand-written route outputs, by name; candidates are r0..r1099 (see the test's facts). */
    static Map<String, byte[]> routeEdgeCases() {
        Map<String, byte[]> c = new LinkedHashMap<>();
        String ok = "{\"order\":[\"r1\",\"r0\"]}";
        c.put("two", utf8(ok));
        c.put("one", utf8("{\"order\":[\"r5\"]}"));
        c.put("unicode candidate", utf8("{\"order\":[\"\u00e9/r3\",\"\ud83d\ude00\"]}"));
        c.put("escaped candidate", utf8("{\"order\":[\"\\u00e9/r3\",\"\\ud83d\\ude00\"]}"));
        for (String v : ODD_VALUES) {
            c.put("order=" + v, utf8("{\"order\":" + v + "}"));
            c.put("item " + v, utf8("{\"order\":[\"r0\"," + v + "]}"));
            c.put("unknown member " + v, utf8("{\"order\":[\"r0\"],\"why\":" + v + "}"));
        }
        c.put("missing order", utf8("{}"));
        c.put("duplicate id", utf8("{\"order\":[\"r0\",\"r1\",\"r0\"]}"));
        c.put("duplicate non-candidate", utf8("{\"order\":[\"zz\",\"zz\"]}"));
        c.put("non-candidate then duplicate", utf8("{\"order\":[\"zz\",\"r0\",\"r0\"]}"));
        c.put("non-candidate", utf8("{\"order\":[\"r0\",\"zz\"]}"));
        c.put("two non-candidates", utf8("{\"order\":[\"r0\",\"zz\",\"yy\"]}"));
        c.put("non-candidate then bad item", utf8("{\"order\":[\"zz\",1]}"));
        c.put("non-candidate then unknown member", utf8("{\"order\":[\"zz\"],\"x\":1}"));
        c.put("empty id", utf8("{\"order\":[\"\"]}"));
        c.put("case differs", utf8("{\"order\":[\"R0\"]}"));
        c.put("duplicate order key", utf8("{\"order\":[\"r0\"],\"order\":[\"r1\"]}"));
        for (int cps : new int[] {255, 256, 257}) {
            for (String unit : List.of("x", "\ud83d\ude00")) {
                c.put("id " + cps + " cp of " + unit, utf8("{\"order\":[" + repeated(unit, cps) + "]}"));
            }
        }
        for (int n : new int[] {1, 16, 17, 1023, 1024, 1025, 1100}) {
            StringBuilder b = new StringBuilder("{\"order\":[");
            for (int i = 0; i < n; i++) {
                b.append(i == 0 ? "" : ",").append("\"r").append(i).append('"');
            }
            c.put(n + " ids", utf8(b + "]}"));
            c.put(n + " ids, last repeats the first", utf8(b + ",\"r0\"]}"));
        }
        nonObjectsAndGarbage(c, ok);
        invalidUtf8(c, "{\"order\":[\"r0\",\"", "\"]}");
        return c;
    }

    private static void nonObjectsAndGarbage(Map<String, byte[]> c, String ok) {
        c.put("empty", new byte[0]);
        for (String s : List.of(" ", "\n", "[]", "[" + ok + "]", "\"s\"", "1", "-1", "1.5", "null", "true", "false",
                "{", "}", "{\"", "{\"decision\"", "{\"decision\":", "nul", "tru", "[", "{]", "{\"a\" 1}", "{'a':1}",
                "{\"a\":1,}", "{,}", "{\"a\":01}", "{\"a\":+1}", "{\"a\":.5}", "{\"a\":1.}", "{\"a\":NaN}",
                "{\"a\":Infinity}", "{\"a\":\"\\x\"}", "{\"a\":\"\t\"}", "{\"a\":\"\\ud800\"}", "/* c */{}", "{}//",
                ok + " ", ok + "\n\t\r ", ok + " {}", ok + ok, ok + " x", ok + ",", ok + "]", ok + "}", ok + "\"",
                ok + "1", ok + " null", ok.substring(0, ok.length() - 1), ok.substring(0, ok.length() / 2),
                "{" + "[".repeat(2000) + "]".repeat(2000) + "}", "{\"x\":" + "[".repeat(1200) + "]".repeat(1200) + "}",
                "{\"x\":1" + "0".repeat(1100) + "}", "{\"x\":\"" + "y".repeat(70000) + "\"}")) {
            c.put("text " + (s.length() > 40 ? s.substring(0, 40) + "..(" + s.length() + ")" : s), utf8(s));
        }
        c.put("trailing NUL", concat(utf8(ok), bytes(0)));
        c.put("NUL inside", concat(utf8("{ "), bytes(0), utf8(ok.substring(1))));
        c.put("NUL after 4 bytes", concat(utf8("{   "), bytes(0), utf8("}")));
        c.put("bare FE", concat(bytes(0xFE), utf8(ok)));
        c.put("bare FF", concat(bytes(0xFF), utf8(ok)));
        c.put("broken BOM", concat(bytes(0xEF, 0xBB), utf8(ok)));
        c.put("two BOMs", concat(bytes(0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF), utf8(ok)));
        c.put("latin-1 outside string", concat(utf8("{"), bytes(0xE9), utf8(ok.substring(1))));
    }

    private static void invalidUtf8(Map<String, byte[]> c, String head, String tail) {
        int[][] bad = {
            {0xC3, 0x28}, {0x80}, {0xBF}, {0xC0, 0xAF}, {0xC1, 0xBF}, {0xE0, 0x80, 0xAF}, {0xED, 0xA0, 0x80},
            {0xED, 0xBF, 0xBF}, {0xF4, 0x90, 0x80, 0x80}, {0xF5, 0x80, 0x80, 0x80}, {0xF8, 0x88, 0x80, 0x80, 0x80},
            {0xFC, 0x84, 0x80, 0x80, 0x80, 0x80}, {0xFE}, {0xFF}, {0xE2, 0x82}, {0xF0, 0x9F, 0x98}, {0xC3},
            {0xE9, 0x74, 0xE9}, {0xF0, 0x80, 0x80, 0x80}, {0x7F}, {0x1F}, {0x00}
        };
        for (int[] b : bad) {
            StringBuilder name = new StringBuilder("bytes");
            for (int x : b) {
                name.append(String.format(" %02X", x));
            }
            c.put(name + " in " + head.substring(0, Math.min(12, head.length())), concat(utf8(head), bytes(b), utf8(tail)));
        }
        c.put("truncated multibyte at end in " + head.substring(0, 12), concat(utf8(head), bytes(0xE2, 0x82)));
    }

    /** Numbers a well-behaved plugin would send for a request of 256 tokens and 60000 ms. */
    private static final List<String> TIGHT_NUMBERS = List.of("1", "2", "100", "128", "255", "256", "1000", "59999", "60000");

    /**
     * A random choice that is odd (from {@code odd}) with probability {@code noise}, else ordinary. Each
     * document gets its own noise level, so the corpus holds clean documents, documents with one flaw and
     * documents with many.
     */
    private static <T> T either(Random r, double noise, List<T> ordinary, List<T> odd) {
        return r.nextDouble() < noise ? pick(r, odd) : pick(r, ordinary);
    }

    private static double noise(Random r) {
        return List.of(0.0, 0.02, 0.05, 0.1, 0.3).get(r.nextInt(5));
    }

    /** Deterministic random admit outputs: mostly well-formed and near the schema's bounds, some mutated. */
    static List<byte[]> randomAdmit(long seed, int count) {
        Random r = new Random(seed);
        List<byte[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            double noise = noise(r);
            List<String> members = new ArrayList<>();
            String decision = either(r, noise, List.of("\"modify\"", "\"modify\"", "\"modify\"", "\"allow\"", "\"deny\""), ODD_VALUES);
            if (r.nextDouble() >= noise / 3) {
                members.add(member(r, "decision", decision));
            }
            if (r.nextDouble() >= noise / 3) {
                members.add(member(r, "reason", randomReason(r, noise)));
            }
            boolean mods = decision.equals("\"modify\"") ? r.nextDouble() >= noise / 3 : r.nextDouble() < noise;
            if (mods) {
                members.add(member(r, "modifications", r.nextDouble() < noise / 4 ? pick(r, ODD_VALUES) : randomMods(r, noise)));
            }
            if (r.nextDouble() < noise / 4) {
                members.add(member(r, pick(r, List.of("x", "Decision", "decisions", "modification", "")), pick(r, ODD_VALUES)));
            }
            if (r.nextDouble() < noise / 4 && !members.isEmpty()) {
                members.add(pick(r, members));
            }
            Collections.shuffle(members, r);
            byte[] doc = utf8("{" + ws(r) + String.join("," + ws(r), members) + ws(r) + "}");
            out.add(r.nextInt(4) == 0 ? mutate(r, doc) : doc);
        }
        return out;
    }

    /** Deterministic random route outputs over candidates r0..r1099 and a few unknown ids. */
    static List<byte[]> randomRoute(long seed, int count) {
        Random r = new Random(seed);
        List<byte[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            double noise = noise(r);
            List<String> members = new ArrayList<>();
            if (r.nextDouble() >= noise / 3) {
                String order;
                if (r.nextDouble() < noise / 4) {
                    order = pick(r, ODD_VALUES);
                } else {
                    int n = r.nextInt(30) == 0 ? 1000 + r.nextInt(60) : 1 + r.nextInt(6);
                    List<String> ids = new ArrayList<>();
                    for (int k = 0; k < n; k++) {
                        double roll = r.nextDouble();
                        if (roll >= noise) {
                            ids.add(str("r" + (n > 100 ? k : r.nextInt(40))));
                        } else if (roll < noise / 2) {
                            ids.add(str(pick(r, List.of("zz", "", "R0", "r0 ", "\u00e9/r3", "\ud83d\ude00", "x".repeat(257),
                                    "\ud83d\ude00".repeat(256), "r1100"))));
                        } else if (roll < noise * 3 / 4) {
                            ids.add(pick(r, ODD_VALUES));
                        } else if (!ids.isEmpty()) {
                            ids.add(pick(r, ids));
                        }
                    }
                    order = "[" + String.join("," + ws(r), ids) + "]";
                }
                members.add(member(r, "order", order));
            }
            if (r.nextDouble() < noise / 4) {
                members.add(member(r, pick(r, List.of("why", "Order", "")), pick(r, ODD_VALUES)));
            }
            if (r.nextDouble() < noise / 4 && !members.isEmpty()) {
                members.add(pick(r, members));
            }
            Collections.shuffle(members, r);
            byte[] doc = utf8("{" + ws(r) + String.join("," + ws(r), members) + ws(r) + "}");
            out.add(r.nextInt(4) == 0 ? mutate(r, doc) : doc);
        }
        return out;
    }

    private static String randomReason(Random r, double noise) {
        if (r.nextDouble() < noise / 2) {
            return pick(r, ODD_VALUES);
        }
        if (r.nextInt(5) == 0) {
            String unit = pick(r, List.of("x", "\u00e9", "\ud83d\ude00", "\ud800"));
            return repeated(unit, r.nextDouble() < noise ? 513 + r.nextInt(3) : 509 + r.nextInt(4));
        }
        return str(pick(r, STRINGS));
    }

    private static String randomMods(Random r, double noise) {
        List<String> m = new ArrayList<>();
        if (r.nextBoolean()) {
            m.add(member(r, "max_tokens", r.nextDouble() < noise / 2 ? pick(r, ODD_VALUES) : either(r, noise, TIGHT_NUMBERS, NUMBERS)));
        }
        if (r.nextInt(3) == 0) {
            m.add(member(r, "priority", either(r, noise, List.of("\"batch\""), List.of("\"interactive\"", "\"Batch\"", "null", "1"))));
        }
        if (r.nextBoolean()) {
            m.add(member(r, "deadline_ms", r.nextDouble() < noise / 2 ? pick(r, ODD_VALUES) : either(r, noise, TIGHT_NUMBERS, NUMBERS)));
        }
        if (r.nextBoolean()) {
            m.add(member(r, "labels", r.nextDouble() < noise / 4 ? pick(r, ODD_VALUES) : randomLabels(r, noise)));
        }
        if (r.nextDouble() < noise / 4) {
            m.add(member(r, pick(r, List.of("ctx", "maxTokens", "labels ", "")), pick(r, ODD_VALUES)));
        }
        Collections.shuffle(m, r);
        return "{" + String.join("," + ws(r), m) + "}";
    }

    private static String randomLabels(Random r, double noise) {
        int n = r.nextInt(12) == 0 ? 14 + r.nextInt(4) : r.nextDouble() < noise / 4 ? 0 : 1 + r.nextInt(3);
        Map<String, String> labels = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String key = r.nextDouble() < noise ? pick(r, LABEL_KEYS)
                    : n > 4 ? "k" + i : pick(r, List.of("team", "env", "cost", "tier", "k" + i, "x".repeat(63), "a/b.c-d_e"));
            String value;
            double roll = r.nextDouble();
            if (roll < noise / 2) {
                value = pick(r, ODD_VALUES);
            } else if (roll < 0.1) {
                value = repeated(pick(r, List.of("v", "\u00e9", "\ud83d\ude00")), r.nextDouble() < noise ? 257 : 254 + r.nextInt(3));
            } else if (roll < 0.6) {
                value = str(pick(r, List.of("search", "prod", "ads", "dev")));
            } else {
                value = str(pick(r, STRINGS));
            }
            labels.put(key, value);
        }
        List<String> kv = new ArrayList<>();
        labels.forEach((k, v) -> kv.add(str(k) + ":" + v));
        return "{" + String.join("," + ws(r), kv) + "}";
    }

    private static String member(Random r, String name, String value) {
        return str(name) + ws(r) + ":" + ws(r) + value;
    }

    private static String ws(Random r) {
        return r.nextInt(8) == 0 ? pick(r, List.of(" ", "\n", "\t", "\r\n ", "  ")) : "";
    }

    private static <T> T pick(Random r, List<T> list) {
        return list.get(r.nextInt(list.size()));
    }

    private static final List<byte[]> SPLICES = List.of(
            utf8("{"), utf8("}"), utf8("["), utf8("]"), utf8(","), utf8(":"), utf8("\""), utf8("\\"), utf8(" "),
            utf8("null"), utf8("1"), utf8("-"), utf8("e"), utf8("."), utf8("\\u"), bytes(0x80), bytes(0xC3),
            bytes(0xED, 0xA0, 0x80), bytes(0x00), bytes(0xFF), bytes(0x0A), utf8("\u00e9"), utf8("\ud83d\ude00"));

    /** One to three byte-level changes: delete, insert, replace, truncate, append or repeat a slice. */
    static byte[] mutate(Random r, byte[] doc) {
        byte[] b = doc;
        int times = 1 + r.nextInt(3);
        for (int t = 0; t < times && b.length > 0; t++) {
            int at = r.nextInt(b.length);
            switch (r.nextInt(6)) {
                case 0 -> b = concat(java.util.Arrays.copyOfRange(b, 0, at), java.util.Arrays.copyOfRange(b, at + 1, b.length));
                case 1 -> b = concat(java.util.Arrays.copyOfRange(b, 0, at), pick(r, SPLICES), java.util.Arrays.copyOfRange(b, at, b.length));
                case 2 -> {
                    byte[] s = pick(r, SPLICES);
                    b = concat(java.util.Arrays.copyOfRange(b, 0, at), s,
                            java.util.Arrays.copyOfRange(b, Math.min(b.length, at + s.length), b.length));
                }
                case 3 -> b = java.util.Arrays.copyOf(b, at);
                case 4 -> b = concat(b, pick(r, List.of(utf8(" "), utf8("{}"), utf8("x"), utf8(","), bytes(0), utf8("\n"))));
                default -> {
                    int end = at + r.nextInt(Math.max(1, b.length - at));
                    b = concat(java.util.Arrays.copyOf(b, end), java.util.Arrays.copyOfRange(b, at, b.length));
                }
            }
        }
        return b;
    }
}
