package io.sluice.policy.host.internal.abi;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.Priority;
import io.sluice.policy.host.RouteInput;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * ABI v1 JSON: encodes typed inputs and extracts from any input the facts the host needs to check outputs
 * and to make WASI deterministic. Stateless and thread-safe.
 */
public final class AbiJson {
    public static final String ABI_VERSION = "1.0";

    /**
     * Duplicate keys are errors so that {@code {"decision":"allow","decision":"modify"}} cannot mean one
     * thing to the schema check and another to the semantic check.
     */
    public static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private AbiJson() {}

    /** What the host knows about the request under decision. */
    public record RequestFacts(
            String tenantId,
            String taskId,
            long timeMs,
            long randomSeed,
            int maxTokens,
            Priority priority,
            long deadlineMs,
            Map<String, String> labels,
            Set<String> candidateIds) {}

    /** An encoded input with its facts. */
    public record EncodedInput(byte[] json, RequestFacts facts) {}

    /**
     * Encodes an admit input. The bytes are exactly those Jackson's generator wrote for this input before
     * (field order, escaping, number forms), so guests see no change; a test holds the two side by side.
     */
    public static EncodedInput encodeAdmit(AdmitInput in, boolean includePrompt) {
        String prompt = includePrompt ? in.request().prompt() : null;
        InputWriter w = new InputWriter(ADMIT_CAPACITY + (prompt == null ? 0 : prompt.length()));
        w.raw(OPEN_ADMIT);
        writeAdmitFields(w, in, prompt);
        w.raw(CLOSE);
        return new EncodedInput(w.toByteArray(), facts(in, Set.of()));
    }

    public static EncodedInput encodeRoute(RouteInput in, boolean includePrompt) {
        String prompt = includePrompt ? in.admit().request().prompt() : null;
        List<RouteInput.Candidate> candidates = in.candidates();
        InputWriter w = new InputWriter(
                ADMIT_CAPACITY + CANDIDATE_CAPACITY * candidates.size() + (prompt == null ? 0 : prompt.length()));
        Set<String> ids = new LinkedHashSet<>();
        w.raw(OPEN_ADMIT);
        writeAdmitFields(w, in.admit(), prompt);
        w.raw(CANDIDATES);
        for (int i = 0; i < candidates.size(); i++) {
            RouteInput.Candidate c = candidates.get(i);
            ids.add(c.replicaId());
            w.raw(i == 0 ? REPLICA_ID : NEXT_REPLICA_ID);
            w.string(c.replicaId());
            w.raw(POOL_ID);
            w.string(c.poolId());
            w.raw(CANDIDATE_ENGINE);
            w.string(c.engine());
            w.raw(FREE_SLOTS);
            w.number(c.freeSlots());
            w.raw(CANDIDATE_LABELS);
            writeLabels(w, c.labels());
            w.raw(CLOSE);
        }
        w.raw(CLOSE_CANDIDATES);
        return new EncodedInput(w.toByteArray(), facts(in.admit(), ids));
    }

    /** Room for a typical admit input without growing (about 620 bytes; labels and names vary). */
    private static final int ADMIT_CAPACITY = 1024;

    private static final int CANDIDATE_CAPACITY = 160;

    private static final byte[] OPEN_ADMIT = asciiBytes("{\"abi_version\":\"" + ABI_VERSION + "\",\"tenant\":{\"id\":");
    private static final byte[] TIER = asciiBytes(",\"tier\":");
    private static final byte[] LABELS = asciiBytes(",\"labels\":");
    private static final byte[] TASK_ID = asciiBytes("},\"request\":{\"task_id\":");
    private static final byte[] SESSION_ID = asciiBytes(",\"session_id\":");
    private static final byte[] WORKLOAD = asciiBytes(",\"workload\":");
    private static final byte[] MODEL_REF = asciiBytes(",\"model_ref\":");
    private static final byte[] ENGINE = asciiBytes(",\"engine\":");
    private static final byte[] PRIORITY = asciiBytes(",\"priority\":");
    /** Quoted wire names by ordinal: {@link Priority#wireName()} builds a new string on every call. */
    private static final byte[][] PRIORITY_VALUES = Arrays.stream(Priority.values())
            .map(p -> asciiBytes("\"" + p.wireName() + "\""))
            .toArray(byte[][]::new);
    private static final byte[] MAX_TOKENS = asciiBytes(",\"max_tokens\":");
    private static final byte[] DEADLINE_MS = asciiBytes(",\"deadline_ms\":");
    private static final byte[] CTX = asciiBytes(",\"ctx\":");
    private static final byte[] PROMPT_CHARS = asciiBytes(",\"prompt_chars\":");
    private static final byte[] PROMPT = asciiBytes(",\"prompt\":");
    private static final byte[] TIME_MS = asciiBytes("},\"snapshot\":{\"time_ms\":");
    private static final byte[] RUNNING = asciiBytes(",\"quota\":{\"running\":");
    private static final byte[] QUEUED = asciiBytes(",\"queued\":");
    private static final byte[] MAX_CONCURRENT = asciiBytes(",\"max_concurrent\":");
    private static final byte[] MAX_QUEUED = asciiBytes(",\"max_queued\":");
    private static final byte[] TOKENS_PER_MINUTE_USED = asciiBytes(",\"tokens_per_minute_used\":");
    private static final byte[] TOKENS_PER_MINUTE = asciiBytes(",\"tokens_per_minute\":");
    private static final byte[] QUEUES = asciiBytes("},\"queues\":{");
    private static final byte[] DEPTH = asciiBytes(":{\"depth\":");
    private static final byte[] MODEL_ID = asciiBytes("},\"model\":{\"id\":");
    private static final byte[] STATE = asciiBytes(",\"state\":");
    private static final byte[] CLOSE_ADMIT_FIELDS = asciiBytes("}}");
    private static final byte[] CANDIDATES = asciiBytes(",\"candidates\":[");
    private static final byte[] REPLICA_ID = asciiBytes("{\"replica_id\":");
    private static final byte[] NEXT_REPLICA_ID = asciiBytes(",{\"replica_id\":");
    private static final byte[] POOL_ID = asciiBytes(",\"pool_id\":");
    private static final byte[] CANDIDATE_ENGINE = asciiBytes(",\"engine\":");
    private static final byte[] FREE_SLOTS = asciiBytes(",\"free_slots\":");
    private static final byte[] CANDIDATE_LABELS = asciiBytes(",\"labels\":");
    private static final byte[] CLOSE_CANDIDATES = asciiBytes("]}");
    private static final byte[] CLOSE = asciiBytes("}");
    private static final byte[] NULL = asciiBytes("null");

    private static byte[] asciiBytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Everything of an admit input after its opening brace up to (not including) its closing one. */
    private static void writeAdmitFields(InputWriter w, AdmitInput in, String prompt) {
        w.string(in.tenant().id());
        w.raw(TIER);
        w.string(in.tenant().tier());
        w.raw(LABELS);
        writeLabels(w, in.tenant().labels());

        AdmitInput.Request r = in.request();
        w.raw(TASK_ID);
        w.uuid(r.taskId());
        w.raw(SESSION_ID);
        w.uuid(r.sessionId());
        w.raw(WORKLOAD);
        w.string(r.workload());
        w.raw(MODEL_REF);
        w.string(r.modelRef());
        w.raw(ENGINE);
        w.nullableString(r.engine());
        w.raw(PRIORITY);
        w.raw(PRIORITY_VALUES[r.priority().ordinal()]);
        w.raw(MAX_TOKENS);
        w.number(r.maxTokens());
        w.raw(DEADLINE_MS);
        w.number(r.deadlineMs());
        w.raw(CTX);
        w.number(r.ctx());
        w.raw(LABELS);
        writeLabels(w, r.labels());
        w.raw(PROMPT_CHARS);
        w.number(r.promptChars());
        if (prompt != null) {
            w.raw(PROMPT);
            w.string(prompt);
        }

        AdmitInput.Snapshot s = in.snapshot();
        w.raw(TIME_MS);
        w.number(s.timeMs());
        AdmitInput.Quota q = s.quota();
        w.raw(RUNNING);
        w.number(q.running());
        w.raw(QUEUED);
        w.number(q.queued());
        w.raw(MAX_CONCURRENT);
        w.nullableNumber(q.maxConcurrent());
        w.raw(MAX_QUEUED);
        w.nullableNumber(q.maxQueued());
        w.raw(TOKENS_PER_MINUTE_USED);
        w.number(q.tokensPerMinuteUsed());
        w.raw(TOKENS_PER_MINUTE);
        w.nullableNumber(q.tokensPerMinute());
        w.raw(QUEUES);
        boolean first = true;
        for (Map.Entry<String, Integer> e : s.queueDepths().entrySet()) {
            if (!first) {
                w.ascii(',');
            }
            first = false;
            w.string(e.getKey());
            w.raw(DEPTH);
            w.number(e.getValue());
            w.ascii('}');
        }
        w.raw(MODEL_ID);
        w.string(s.model().id());
        w.raw(STATE);
        w.string(s.model().state());
        w.raw(CLOSE_ADMIT_FIELDS);
    }

    private static void writeLabels(InputWriter w, Map<String, String> labels) {
        w.ascii('{');
        boolean first = true;
        for (Map.Entry<String, String> e : labels.entrySet()) {
            if (!first) {
                w.ascii(',');
            }
            first = false;
            w.string(e.getKey());
            w.ascii(':');
            w.string(e.getValue());
        }
        w.ascii('}');
    }

    static RequestFacts facts(AdmitInput in, Set<String> candidateIds) {
        AdmitInput.Request r = in.request();
        return new RequestFacts(
                in.tenant().id(),
                r.taskId().toString(),
                in.snapshot().timeMs(),
                seedOf(r.taskId()),
                r.maxTokens(),
                r.priority(),
                r.deadlineMs(),
                r.labels(),
                candidateIds);
    }

    /**
     * Writes JSON into a growing byte array: UTF-8, no whitespace, strings escaped exactly as Jackson's
     * generator escapes them with default features: quote, backslash and the controls b, t, n, f, r get
     * their two-character escapes; other controls and unpaired surrogates get six-character escapes
     * (backslash, 'u', four upper-case hex digits); everything else, '/' and DEL included, is plain UTF-8.
     * One per call; not thread-safe.
     */
    static final class InputWriter {
        private static final byte[] HEX_UPPER = asciiBytes("0123456789ABCDEF");
        private static final byte[] HEX_LOWER = asciiBytes("0123456789abcdef");
        /** For ASCII: 0 = as is, else the letter after the backslash, or 'u' for a six-byte escape. */
        private static final byte[] ESCAPE = new byte[128];
        private static final int ESCAPE_CHUNK = 4096;

        static {
            for (int c = 0; c < 0x20; c++) {
                ESCAPE[c] = 'u';
            }
            ESCAPE['"'] = '"';
            ESCAPE['\\'] = '\\';
            ESCAPE['\b'] = 'b';
            ESCAPE['\t'] = 't';
            ESCAPE['\n'] = 'n';
            ESCAPE['\f'] = 'f';
            ESCAPE['\r'] = 'r';
        }

        private byte[] buf;
        private int pos;

        InputWriter(int capacity) {
            buf = new byte[capacity];
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf, pos);
        }

        private void ensure(int more) {
            if (more > buf.length - pos) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
            }
        }

        void raw(byte[] bytes) {
            ensure(bytes.length);
            System.arraycopy(bytes, 0, buf, pos, bytes.length);
            pos += bytes.length;
        }

        void ascii(char c) {
            ensure(1);
            buf[pos++] = (byte) c;
        }

        void nullableString(String s) {
            if (s == null) {
                raw(NULL);
            } else {
                string(s);
            }
        }

        /**
         * Finds the printable-ASCII prefix first and copies it in bulk: the common case (ids, names, labels)
         * is all prefix, and a check without a store per char is several times cheaper than a copying loop.
         * The deprecated {@code String.getBytes(int, int, byte[], int)} copies the low byte of each char,
         * which for printable ASCII is exactly its UTF-8 encoding; it is not marked for removal and is the
         * only bulk char-to-byte copy into an existing array.
         */
        @SuppressWarnings("deprecation")
        void string(String s) {
            int len = s.length();
            int plain = 0;
            while (plain < len) {
                char c = s.charAt(plain);
                if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
                    break;
                }
                plain++;
            }
            ensure(len + 2);
            buf[pos++] = '"';
            s.getBytes(0, plain, buf, pos);
            pos += plain;
            if (plain < len) {
                escaped(s, plain);
            }
            ascii('"');
        }

        /** The rest of a string from {@code i}, in chunks that need at most six bytes per char. */
        private void escaped(String s, int from) {
            int len = s.length();
            for (int i = from; i < len; ) {
                int end = (int) Math.min(len, (long) i + ESCAPE_CHUNK);
                i = escapedChunk(s, i, end);
            }
        }

        /** Returns where it stopped: {@code end}, or one past it when a surrogate pair straddles the end. */
        private int escapedChunk(String s, int i, int end) {
            int len = s.length();
            ensure((end - i) * 6 + 4);
            byte[] b = buf;
            int p = pos;
            for (; i < end; i++) {
                char c = s.charAt(i);
                if (c < 0x80) {
                    byte e = ESCAPE[c];
                    if (e == 0) {
                        b[p++] = (byte) c;
                    } else if (e == 'u') {
                        p = unicodeEscape(b, p, c);
                    } else {
                        b[p++] = '\\';
                        b[p++] = e;
                    }
                } else if (c < 0x800) {
                    b[p++] = (byte) (0xc0 | (c >> 6));
                    b[p++] = (byte) (0x80 | (c & 0x3f));
                } else if (!Character.isSurrogate(c)) {
                    b[p++] = (byte) (0xe0 | (c >> 12));
                    b[p++] = (byte) (0x80 | ((c >> 6) & 0x3f));
                    b[p++] = (byte) (0x80 | (c & 0x3f));
                } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                    int cp = Character.toCodePoint(c, s.charAt(++i));
                    b[p++] = (byte) (0xf0 | (cp >> 18));
                    b[p++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
                    b[p++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
                    b[p++] = (byte) (0x80 | (cp & 0x3f));
                } else {
                    // An unpaired surrogate has no UTF-8 form; Jackson writes it as an escape, so do we.
                    p = unicodeEscape(b, p, c);
                }
            }
            pos = p;
            return i;
        }

        private static int unicodeEscape(byte[] b, int p, char c) {
            b[p++] = '\\';
            b[p++] = 'u';
            b[p++] = HEX_UPPER[(c >> 12) & 0xf];
            b[p++] = HEX_UPPER[(c >> 8) & 0xf];
            b[p++] = HEX_UPPER[(c >> 4) & 0xf];
            b[p++] = HEX_UPPER[c & 0xf];
            return p;
        }

        void nullableNumber(Number n) {
            if (n == null) {
                raw(NULL);
            } else {
                number(n.longValue());
            }
        }

        /** Decimal digits as {@link Long#toString(long)} writes them, without the String. */
        void number(long v) {
            ensure(20);
            if (v == Long.MIN_VALUE) {
                raw(asciiBytes(Long.toString(v)));
                return;
            }
            byte[] b = buf;
            int p = pos;
            if (v < 0) {
                b[p++] = '-';
                v = -v;
            }
            int end = p + digits(v);
            int i = end;
            // One division per digit, and int division once the value fits: the common numbers are small.
            while (v > Integer.MAX_VALUE) {
                long q = v / 10;
                b[--i] = (byte) ('0' + (int) (v - q * 10));
                v = q;
            }
            int n = (int) v;
            while (n >= 10) {
                int q = n / 10;
                b[--i] = (byte) ('0' + (n - q * 10));
                n = q;
            }
            b[--i] = (byte) ('0' + n);
            pos = end;
        }

        private static int digits(long v) {
            int d = 1;
            for (long limit = 10; d < 19 && v >= limit; limit *= 10) {
                d++;
            }
            return d;
        }

        /** The canonical 36-char form, as {@link UUID#toString()} writes it. */
        void uuid(UUID u) {
            ensure(38);
            byte[] b = buf;
            int p = pos;
            b[p++] = '"';
            p = hex(b, p, u.getMostSignificantBits() >>> 32, 8);
            b[p++] = '-';
            p = hex(b, p, u.getMostSignificantBits() >>> 16, 4);
            b[p++] = '-';
            p = hex(b, p, u.getMostSignificantBits(), 4);
            b[p++] = '-';
            p = hex(b, p, u.getLeastSignificantBits() >>> 48, 4);
            b[p++] = '-';
            p = hex(b, p, u.getLeastSignificantBits(), 12);
            b[p++] = '"';
            pos = p;
        }

        private static int hex(byte[] b, int p, long bits, int digits) {
            for (int i = digits - 1; i >= 0; i--) {
                b[p + i] = HEX_LOWER[(int) (bits & 0xf)];
                bits >>>= 4;
            }
            return p + digits;
        }
    }

    /**
     * Parses an input given as JSON (test kit, fixtures, dry runs), drops the prompt unless the module
     * needs it, and extracts the facts. Schema validation is the caller's business.
     *
     * @throws IllegalArgumentException if the JSON is malformed or misses a field the host relies on
     */
    public static EncodedInput fromJson(String json, boolean includePrompt, boolean route) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("input is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (!(root instanceof ObjectNode obj)) {
            throw new IllegalArgumentException("input must be a JSON object");
        }
        JsonNode request = obj.path("request");
        if (!includePrompt && request instanceof ObjectNode req) {
            req.remove("prompt");
        }
        String tenantId = requiredText(obj.path("tenant"), "id", "tenant.id");
        String taskId = requiredText(request, "task_id", "request.task_id");
        JsonNode time = obj.path("snapshot").path("time_ms");
        if (!time.canConvertToLong()) {
            throw new IllegalArgumentException("input lacks an integer snapshot.time_ms");
        }
        JsonNode maxTokens = request.path("max_tokens");
        if (!maxTokens.canConvertToInt()) {
            throw new IllegalArgumentException("input lacks an integer request.max_tokens");
        }
        Priority priority = Priority.fromWireName(requiredText(request, "priority", "request.priority"));
        JsonNode deadline = request.path("deadline_ms");
        if (!deadline.canConvertToLong()) {
            throw new IllegalArgumentException("input lacks an integer request.deadline_ms");
        }
        long deadlineMs = deadline.longValue();
        Map<String, String> labels = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : request.path("labels").properties()) {
            labels.put(e.getKey(), e.getValue().isString() ? e.getValue().stringValue() : e.getValue().toString());
        }
        Set<String> ids = new LinkedHashSet<>();
        if (route) {
            JsonNode candidates = obj.path("candidates");
            if (!candidates.isArray() || candidates.isEmpty()) {
                throw new IllegalArgumentException("route input needs a non-empty candidates array");
            }
            for (JsonNode c : candidates.values()) {
                ids.add(requiredText(c, "replica_id", "candidates[].replica_id"));
            }
        }
        RequestFacts facts = new RequestFacts(
                tenantId,
                taskId,
                time.longValue(),
                seedOf(taskId),
                maxTokens.intValue(),
                priority,
                deadlineMs,
                Map.copyOf(labels),
                ids);
        return new EncodedInput(MAPPER.writeValueAsBytes(obj), facts);
    }

    private static String requiredText(JsonNode node, String field, String path) {
        JsonNode v = node.path(field);
        if (!v.isString()) {
            throw new IllegalArgumentException("input lacks a string " + path);
        }
        return v.stringValue();
    }

    /**
     * WASI random_get is seeded from the task id so a decision is a function of its input. A UUID seeds
     * from its 128 bits; any other id from its UTF-8 bytes.
     */
    static long seedOf(String taskId) {
        UUID u;
        try {
            u = UUID.fromString(taskId);
        } catch (IllegalArgumentException notUuid) {
            long h = 0xcbf29ce484222325L;
            for (byte b : taskId.getBytes(StandardCharsets.UTF_8)) {
                h = (h ^ (b & 0xff)) * 0x100000001b3L;
            }
            return h;
        }
        return seedOf(u);
    }

    /** The same seed as {@link #seedOf(String)} of the UUID's text, without the text. */
    static long seedOf(UUID taskId) {
        return taskId.getMostSignificantBits() ^ Long.rotateLeft(taskId.getLeastSignificantBits(), 32);
    }
}
