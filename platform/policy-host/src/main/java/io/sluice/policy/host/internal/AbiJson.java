package io.sluice.policy.host.internal;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.Priority;
import io.sluice.policy.host.RouteInput;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
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

    public static EncodedInput encodeAdmit(AdmitInput in, boolean includePrompt) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(768);
        try (JsonGenerator g = MAPPER.createGenerator(out)) {
            g.writeStartObject();
            writeAdmitFields(g, in, includePrompt);
            g.writeEndObject();
        }
        return new EncodedInput(out.toByteArray(), facts(in, Set.of()));
    }

    public static EncodedInput encodeRoute(RouteInput in, boolean includePrompt) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        Set<String> ids = new LinkedHashSet<>();
        try (JsonGenerator g = MAPPER.createGenerator(out)) {
            g.writeStartObject();
            writeAdmitFields(g, in.admit(), includePrompt);
            g.writeName("candidates");
            g.writeStartArray();
            for (RouteInput.Candidate c : in.candidates()) {
                ids.add(c.replicaId());
                g.writeStartObject();
                g.writeStringProperty("replica_id", c.replicaId());
                g.writeStringProperty("pool_id", c.poolId());
                g.writeStringProperty("engine", c.engine());
                g.writeNumberProperty("free_slots", c.freeSlots());
                writeLabels(g, "labels", c.labels());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return new EncodedInput(out.toByteArray(), facts(in.admit(), ids));
    }

    private static void writeAdmitFields(JsonGenerator g, AdmitInput in, boolean includePrompt) {
        g.writeStringProperty("abi_version", ABI_VERSION);
        g.writeName("tenant");
        g.writeStartObject();
        g.writeStringProperty("id", in.tenant().id());
        g.writeStringProperty("tier", in.tenant().tier());
        writeLabels(g, "labels", in.tenant().labels());
        g.writeEndObject();

        AdmitInput.Request r = in.request();
        g.writeName("request");
        g.writeStartObject();
        g.writeStringProperty("task_id", r.taskId().toString());
        g.writeStringProperty("session_id", r.sessionId().toString());
        g.writeStringProperty("workload", r.workload());
        g.writeStringProperty("model_ref", r.modelRef());
        g.writeStringProperty("engine", r.engine());
        g.writeStringProperty("priority", r.priority().wireName());
        g.writeNumberProperty("max_tokens", r.maxTokens());
        g.writeNumberProperty("deadline_ms", r.deadlineMs());
        g.writeNumberProperty("ctx", r.ctx());
        writeLabels(g, "labels", r.labels());
        g.writeNumberProperty("prompt_chars", r.promptChars());
        if (includePrompt && r.prompt() != null) {
            g.writeStringProperty("prompt", r.prompt());
        }
        g.writeEndObject();

        AdmitInput.Snapshot s = in.snapshot();
        g.writeName("snapshot");
        g.writeStartObject();
        g.writeNumberProperty("time_ms", s.timeMs());
        AdmitInput.Quota q = s.quota();
        g.writeName("quota");
        g.writeStartObject();
        g.writeNumberProperty("running", q.running());
        g.writeNumberProperty("queued", q.queued());
        writeNullableLong(g, "max_concurrent", q.maxConcurrent() == null ? null : q.maxConcurrent().longValue());
        writeNullableLong(g, "max_queued", q.maxQueued() == null ? null : q.maxQueued().longValue());
        g.writeNumberProperty("tokens_per_minute_used", q.tokensPerMinuteUsed());
        writeNullableLong(g, "tokens_per_minute", q.tokensPerMinute());
        g.writeEndObject();
        g.writeName("queues");
        g.writeStartObject();
        for (Map.Entry<String, Integer> e : s.queueDepths().entrySet()) {
            g.writeName(e.getKey());
            g.writeStartObject();
            g.writeNumberProperty("depth", e.getValue());
            g.writeEndObject();
        }
        g.writeEndObject();
        g.writeName("model");
        g.writeStartObject();
        g.writeStringProperty("id", s.model().id());
        g.writeStringProperty("state", s.model().state());
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void writeNullableLong(JsonGenerator g, String name, Long value) {
        if (value == null) {
            g.writeNullProperty(name);
        } else {
            g.writeNumberProperty(name, value.longValue());
        }
    }

    private static void writeLabels(JsonGenerator g, String name, Map<String, String> labels) {
        g.writeName(name);
        g.writeStartObject();
        for (Map.Entry<String, String> e : labels.entrySet()) {
            g.writeStringProperty(e.getKey(), e.getValue());
        }
        g.writeEndObject();
    }

    private static RequestFacts facts(AdmitInput in, Set<String> candidateIds) {
        AdmitInput.Request r = in.request();
        return new RequestFacts(
                in.tenant().id(),
                r.taskId().toString(),
                in.snapshot().timeMs(),
                seedOf(r.taskId().toString()),
                r.maxTokens(),
                r.priority(),
                r.deadlineMs(),
                r.labels(),
                candidateIds);
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
        try {
            UUID u = UUID.fromString(taskId);
            return u.getMostSignificantBits() ^ Long.rotateLeft(u.getLeastSignificantBits(), 32);
        } catch (IllegalArgumentException notUuid) {
            long h = 0xcbf29ce484222325L;
            for (byte b : taskId.getBytes(StandardCharsets.UTF_8)) {
                h = (h ^ (b & 0xff)) * 0x100000001b3L;
            }
            return h;
        }
    }
}
