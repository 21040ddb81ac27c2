package io.sluice.policy.host.internal.abi;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.RouteInput;
import io.sluice.policy.host.internal.abi.AbiJson.EncodedInput;
import io.sluice.policy.host.internal.abi.AbiJson.RequestFacts;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import tools.jackson.core.JsonGenerator;

/**
 * The reference {@link AbiJson#encodeAdmit} and {@link AbiJson#encodeRoute} must match byte for byte: the
 * Jackson-generator encoder as it was before the hand-written one, kept verbatim here (with the seed taken
 * from the UUID's text, as it was).
 */
final class JacksonInputEncoder {
    private JacksonInputEncoder() {}

    static EncodedInput encodeAdmit(AdmitInput in, boolean includePrompt) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(768);
        try (JsonGenerator g = AbiJson.MAPPER.createGenerator(out)) {
            g.writeStartObject();
            writeAdmitFields(g, in, includePrompt);
            g.writeEndObject();
        }
        return new EncodedInput(out.toByteArray(), facts(in, Set.of()));
    }

    static EncodedInput encodeRoute(RouteInput in, boolean includePrompt) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        Set<String> ids = new LinkedHashSet<>();
        try (JsonGenerator g = AbiJson.MAPPER.createGenerator(out)) {
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
        g.writeStringProperty("abi_version", AbiJson.ABI_VERSION);
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
