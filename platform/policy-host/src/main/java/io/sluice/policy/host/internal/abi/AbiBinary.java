package io.sluice.policy.host.internal.abi;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.RouteInput;
import io.sluice.policy.host.internal.abi.AbiJson.EncodedInput;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import tools.jackson.databind.JsonNode;

/**
 * ABI 1.1 input: the admit and route inputs as a flat table of fixed 8-byte slots followed by the bytes they
 * point to (policy-sdk/ABI.md section 12). A guest reads a member by its slot number with one kernel load
 * instead of parsing a document; the layout is the same whether the input came typed (traffic) or as JSON
 * (fixtures, the API's test calls), so a fixture decides exactly as traffic does. Stateless, thread-safe.
 *
 * <p>Little-endian throughout. Header (16 bytes): magic {@code "SLB1"}, u16 major, u16 minor, u32 slot
 * count, u32 total length. Slot kinds: string = u32 offset + u32 UTF-8 length ({@link #ABSENT} offset for
 * null or absent); integer = i64 ({@link #NULL_INT} for null); map = u32 offset + u32 entry count, each entry
 * 16 bytes (key string slot, value slot); candidates = u32 offset + u32 count, the area starting with a u32
 * slots-per-candidate and a u32 zero, then the candidates' slots.
 */
public final class AbiBinary {
    public static final String ABI_VERSION = "1.1";
    static final int MAGIC = 'S' | 'L' << 8 | 'B' << 16 | '1' << 24;
    static final int HEADER_BYTES = 16;
    /** Offset of a null or absent string. */
    static final int ABSENT = -1;
    /** A null integer (every ABI integer is within ±2^53 − 1, so this value never means a number). */
    static final long NULL_INT = Long.MIN_VALUE;

    // Slot numbers: the contract with the SDK (assembly/binary.ts) and ABI.md section 12. Append only.
    static final int ABI = 0;
    static final int TENANT_ID = 1;
    static final int TENANT_TIER = 2;
    static final int TENANT_LABELS = 3;
    static final int TASK_ID = 4;
    static final int SESSION_ID = 5;
    static final int WORKLOAD = 6;
    static final int MODEL_REF = 7;
    static final int ENGINE = 8;
    static final int PRIORITY = 9;
    static final int MAX_TOKENS = 10;
    static final int DEADLINE_MS = 11;
    static final int CTX = 12;
    static final int REQUEST_LABELS = 13;
    static final int PROMPT_CHARS = 14;
    static final int PROMPT = 15;
    static final int TIME_MS = 16;
    static final int RUNNING = 17;
    static final int QUEUED = 18;
    static final int MAX_CONCURRENT = 19;
    static final int MAX_QUEUED = 20;
    static final int TOKENS_PER_MINUTE_USED = 21;
    static final int TOKENS_PER_MINUTE = 22;
    static final int QUEUES = 23;
    static final int MODEL_ID = 24;
    static final int MODEL_STATE = 25;
    static final int ADMIT_SLOTS = 26;
    static final int CANDIDATES = 26;
    static final int ROUTE_SLOTS = 27;

    static final int CANDIDATE_REPLICA_ID = 0;
    static final int CANDIDATE_POOL_ID = 1;
    static final int CANDIDATE_ENGINE = 2;
    static final int CANDIDATE_FREE_SLOTS = 3;
    static final int CANDIDATE_LABELS = 4;
    static final int CANDIDATE_SLOTS = 5;

    private AbiBinary() {}

    /** The typed admit input in the 1.1 layout, the prompt included only if the plugin needs it. */
    public static EncodedInput encodeAdmit(AdmitInput in, boolean includePrompt) {
        Writer w = new Writer(ADMIT_SLOTS, 512 + (includePrompt && in.request().prompt() != null ? in.request().prompt().length() * 3 : 0));
        writeAdmit(w, in, includePrompt);
        return new EncodedInput(w.finish(), AbiJson.facts(in, java.util.Set.of()));
    }

    public static EncodedInput encodeRoute(RouteInput in, boolean includePrompt) {
        AdmitInput a = in.admit();
        Writer w = new Writer(ROUTE_SLOTS, 512 + 96 * in.candidates().size()
                + (includePrompt && a.request().prompt() != null ? a.request().prompt().length() * 3 : 0));
        writeAdmit(w, a, includePrompt);
        int base = w.candidates(CANDIDATES, in.candidates().size());
        java.util.Set<String> ids = new java.util.LinkedHashSet<>();
        for (int i = 0; i < in.candidates().size(); i++) {
            RouteInput.Candidate c = in.candidates().get(i);
            ids.add(c.replicaId());
            int s = base + i * CANDIDATE_SLOTS * 8;
            w.stringAt(s + CANDIDATE_REPLICA_ID * 8, c.replicaId());
            w.stringAt(s + CANDIDATE_POOL_ID * 8, c.poolId());
            w.stringAt(s + CANDIDATE_ENGINE * 8, c.engine());
            w.longAt(s + CANDIDATE_FREE_SLOTS * 8, c.freeSlots());
            w.labelsAt(s + CANDIDATE_LABELS * 8, c.labels());
        }
        return new EncodedInput(w.finish(), AbiJson.facts(a, ids));
    }

    private static void writeAdmit(Writer w, AdmitInput in, boolean includePrompt) {
        w.string(ABI, ABI_VERSION);
        w.string(TENANT_ID, in.tenant().id());
        w.string(TENANT_TIER, in.tenant().tier());
        w.labels(TENANT_LABELS, in.tenant().labels());
        AdmitInput.Request r = in.request();
        w.string(TASK_ID, uuid(r.taskId()));
        w.string(SESSION_ID, uuid(r.sessionId()));
        w.string(WORKLOAD, r.workload());
        w.string(MODEL_REF, r.modelRef());
        w.string(ENGINE, r.engine());
        w.string(PRIORITY, r.priority().wireName());
        w.integer(MAX_TOKENS, r.maxTokens());
        w.integer(DEADLINE_MS, r.deadlineMs());
        w.integer(CTX, r.ctx());
        w.labels(REQUEST_LABELS, r.labels());
        w.integer(PROMPT_CHARS, r.promptChars());
        w.string(PROMPT, includePrompt ? r.prompt() : null);
        AdmitInput.Snapshot s = in.snapshot();
        w.integer(TIME_MS, s.timeMs());
        AdmitInput.Quota q = s.quota();
        w.integer(RUNNING, q.running());
        w.integer(QUEUED, q.queued());
        w.integer(MAX_CONCURRENT, q.maxConcurrent() == null ? NULL_INT : q.maxConcurrent());
        w.integer(MAX_QUEUED, q.maxQueued() == null ? NULL_INT : q.maxQueued());
        w.integer(TOKENS_PER_MINUTE_USED, q.tokensPerMinuteUsed());
        w.integer(TOKENS_PER_MINUTE, q.tokensPerMinute() == null ? NULL_INT : q.tokensPerMinute());
        Map<String, Integer> depths = s.queueDepths();
        int at = w.entries(QUEUES, depths.size());
        for (Map.Entry<String, Integer> e : depths.entrySet()) {
            w.stringAt(at, e.getKey());
            w.longAt(at + 8, e.getValue());
            at += 16;
        }
        w.string(MODEL_ID, s.model().id());
        w.string(MODEL_STATE, s.model().state());
    }

    /**
     * A schema-valid ABI input document (fixtures, JSON test calls) in the 1.1 layout. Members appear in
     * the document's order; the prompt is taken from the document as it is (the caller has already removed
     * it for plugins that do not need it).
     */
    public static byte[] fromJson(JsonNode root, boolean route) {
        Writer w = new Writer(route ? ROUTE_SLOTS : ADMIT_SLOTS, 1024);
        JsonNode t = root.path("tenant");
        JsonNode r = root.path("request");
        JsonNode s = root.path("snapshot");
        JsonNode q = s.path("quota");
        w.string(ABI, ABI_VERSION);
        w.string(TENANT_ID, text(t.path("id")));
        w.string(TENANT_TIER, text(t.path("tier")));
        w.labelsAt(w.slot(TENANT_LABELS), t.path("labels"));
        w.string(TASK_ID, text(r.path("task_id")));
        w.string(SESSION_ID, text(r.path("session_id")));
        w.string(WORKLOAD, text(r.path("workload")));
        w.string(MODEL_REF, text(r.path("model_ref")));
        w.string(ENGINE, text(r.path("engine")));
        w.string(PRIORITY, text(r.path("priority")));
        w.integer(MAX_TOKENS, integer(r.path("max_tokens")));
        w.integer(DEADLINE_MS, integer(r.path("deadline_ms")));
        w.integer(CTX, integer(r.path("ctx")));
        w.labelsAt(w.slot(REQUEST_LABELS), r.path("labels"));
        w.integer(PROMPT_CHARS, integer(r.path("prompt_chars")));
        w.string(PROMPT, text(r.path("prompt")));
        w.integer(TIME_MS, integer(s.path("time_ms")));
        w.integer(RUNNING, integer(q.path("running")));
        w.integer(QUEUED, integer(q.path("queued")));
        w.integer(MAX_CONCURRENT, integer(q.path("max_concurrent")));
        w.integer(MAX_QUEUED, integer(q.path("max_queued")));
        w.integer(TOKENS_PER_MINUTE_USED, integer(q.path("tokens_per_minute_used")));
        w.integer(TOKENS_PER_MINUTE, integer(q.path("tokens_per_minute")));
        JsonNode queues = s.path("queues");
        int at = w.entries(QUEUES, queues.size());
        for (Map.Entry<String, JsonNode> e : queues.properties()) {
            w.stringAt(at, e.getKey());
            w.longAt(at + 8, integer(e.getValue().path("depth")));
            at += 16;
        }
        w.string(MODEL_ID, text(s.path("model").path("id")));
        w.string(MODEL_STATE, text(s.path("model").path("state")));
        if (route) {
            JsonNode cs = root.path("candidates");
            int base = w.candidates(CANDIDATES, cs.size());
            for (int i = 0; i < cs.size(); i++) {
                JsonNode c = cs.get(i);
                int slot = base + i * CANDIDATE_SLOTS * 8;
                w.stringAt(slot + CANDIDATE_REPLICA_ID * 8, text(c.path("replica_id")));
                w.stringAt(slot + CANDIDATE_POOL_ID * 8, text(c.path("pool_id")));
                w.stringAt(slot + CANDIDATE_ENGINE * 8, text(c.path("engine")));
                w.longAt(slot + CANDIDATE_FREE_SLOTS * 8, integer(c.path("free_slots")));
                w.labelsAt(slot + CANDIDATE_LABELS * 8, c.path("labels"));
            }
        }
        return w.finish();
    }

    private static String text(JsonNode n) {
        return n.isString() ? n.stringValue() : null;
    }

    private static long integer(JsonNode n) {
        return n.isIntegralNumber() ? n.longValue() : NULL_INT;
    }

    /** The JSON encoder's UUID form (lower-case, hyphenated), so that both layouts carry the same text. */
    private static String uuid(UUID id) {
        return id.toString();
    }

    /** Slots first (fixed size, filled in any order), then the data area they point to. */
    private static final class Writer {
        private byte[] buf;
        private int end;

        Writer(int slots, int dataCapacity) {
            int head = HEADER_BYTES + slots * 8;
            buf = new byte[head + dataCapacity];
            end = head;
            putInt(0, MAGIC);
            putShort(4, 1);
            putShort(6, 1);
            putInt(8, slots);
        }

        int slot(int index) {
            return HEADER_BYTES + index * 8;
        }

        void string(int index, String value) {
            stringAt(slot(index), value);
        }

        void integer(int index, long value) {
            longAt(slot(index), value);
        }

        void labels(int index, Map<String, String> labels) {
            labelsAt(slot(index), labels);
        }

        void stringAt(int slotOffset, String value) {
            if (value == null) {
                putInt(slotOffset, ABSENT);
                putInt(slotOffset + 4, 0);
                return;
            }
            int start = end;
            int n = value.length();
            ensure(n);
            boolean ascii = true;
            for (int i = 0; i < n; i++) {
                char c = value.charAt(i);
                if (c >= 0x80) {
                    ascii = false;
                    break;
                }
                buf[end + i] = (byte) c;
            }
            if (ascii) {
                end += n;
            } else {
                byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
                ensure(utf8.length);
                System.arraycopy(utf8, 0, buf, start, utf8.length);
                end = start + utf8.length;
            }
            putInt(slotOffset, start);
            putInt(slotOffset + 4, end - start);
        }

        void longAt(int offset, long value) {
            putInt(offset, (int) value);
            putInt(offset + 4, (int) (value >>> 32));
        }

        /** Reserves a table of {@code count} 16-byte entries for the map in slot {@code index}. */
        int entries(int index, int count) {
            return entriesAt(slot(index), count);
        }

        private int entriesAt(int slotOffset, int count) {
            ensure(count * 16);
            int at = end;
            end += count * 16;
            putInt(slotOffset, at);
            putInt(slotOffset + 4, count);
            return at;
        }

        void labelsAt(int slotOffset, Map<String, String> labels) {
            int at = entriesAt(slotOffset, labels.size());
            for (Map.Entry<String, String> e : labels.entrySet()) {
                stringAt(at, e.getKey());
                stringAt(at + 8, e.getValue());
                at += 16;
            }
        }

        void labelsAt(int slotOffset, JsonNode labels) {
            int at = entriesAt(slotOffset, labels.size());
            for (Map.Entry<String, JsonNode> e : labels.properties()) {
                stringAt(at, e.getKey());
                stringAt(at + 8, text(e.getValue()));
                at += 16;
            }
        }

        /** Reserves the candidate area of slot {@code index}; returns the offset of the first candidate's slots. */
        int candidates(int index, int count) {
            int bytes = 8 + count * CANDIDATE_SLOTS * 8;
            ensure(bytes);
            int at = end;
            end += bytes;
            putInt(slot(index), at);
            putInt(slot(index) + 4, count);
            putInt(at, CANDIDATE_SLOTS);
            putInt(at + 4, 0);
            return at + 8;
        }

        byte[] finish() {
            putInt(12, end);
            return Arrays.copyOf(buf, end);
        }

        private void ensure(int more) {
            if (end + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, end + more));
            }
        }

        private void putShort(int at, int v) {
            buf[at] = (byte) v;
            buf[at + 1] = (byte) (v >>> 8);
        }

        private void putInt(int at, int v) {
            buf[at] = (byte) v;
            buf[at + 1] = (byte) (v >>> 8);
            buf[at + 2] = (byte) (v >>> 16);
            buf[at + 3] = (byte) (v >>> 24);
        }
    }
}
