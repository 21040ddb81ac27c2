package io.sluice.benchmarks.policy;

import io.sluice.policy.host.AdmitDecision;
import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.ExecutionMode;
import io.sluice.policy.host.Modifications;
import io.sluice.policy.host.PolicyHost;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyTelemetry;
import io.sluice.policy.host.Priority;
import io.sluice.policy.host.internal.AbiJson;
import io.sluice.policy.host.internal.AbiJson.EncodedInput;
import io.sluice.policy.host.internal.AbiJson.RequestFacts;
import io.sluice.policy.host.internal.AbiSchemas;
import io.sluice.policy.host.internal.DirectCall;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.JsonNode;

/**
 * PERF-2: the host's own work around one {@code admit} call, before and after the PERF-2 rework, side by
 * side in one run:
 *
 * <ul>
 *   <li>{@code encode*}: typed input to ABI JSON bytes with its facts ({@code Old}: the Jackson generator
 *       encoder as it was, kept below; {@code New}: {@link AbiJson#encodeAdmit});
 *   <li>{@code check*}: checking the guest's output ({@code Old}: whole tree, networknt JSON Schema, then
 *       the semantic rules, kept below; {@code New}: the streaming checks behind {@link DirectCall#validate});
 *       {@code Allow} is the model-allowlist example's real output for the benchmark input, {@code Modify} a
 *       modify that uses every member;
 *   <li>{@code hostSteps*}: encode + check of the allow output, the host's whole per-call overhead outside
 *       the guest.
 * </ul>
 *
 * Sample mode reports percentiles (p50, p99). Both versions must give the same bytes and verdicts; the
 * setup refuses to run otherwise.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HostStepsBenchmark {
    private PolicyHost host;
    private DirectCall direct;
    private AdmitInput input;
    private EncodedInput encoded;
    private byte[] allowOutput;
    private byte[] modifyOutput;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        host = PolicyHost.create(PolicyLimits.builder().callTimeout(Duration.ofSeconds(1)).build(), PolicyTelemetry.NONE,
                ExecutionMode.COMPILED);
        PolicyModule module = host.compile(BenchInputs.plugin(BenchInputs.PLUGIN));
        PolicyLimits limits = PolicyLimits.builder().build();
        direct = DirectCall.of(module, limits.memoryBytes(), limits.logBytesPerCall());
        input = BenchInputs.admit("bench");
        encoded = DirectCall.encode(input, false);
        allowOutput = direct.call(encoded);
        modifyOutput = ("{\"decision\":\"modify\",\"reason\":\"capped for tier gold\",\"modifications\":"
                + "{\"max_tokens\":128,\"priority\":\"batch\",\"deadline_ms\":30000,\"labels\":{\"capped\":\"true\"}}}")
                .getBytes(StandardCharsets.UTF_8);
        EncodedInput old = OldEncoder.encodeAdmit(input, false);
        if (!Arrays.equals(old.json(), encoded.json()) || !old.facts().equals(encoded.facts())) {
            throw new IllegalStateException("old and new encoders disagree");
        }
        if (!OldChecks.admit(allowOutput, encoded.facts()).equals(direct.validate(allowOutput, encoded))
                || !OldChecks.admit(modifyOutput, encoded.facts()).equals(direct.validate(modifyOutput, encoded))
                || !"allow".equals(direct.validate(allowOutput, encoded))) {
            throw new IllegalStateException("old and new output checks disagree");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        host.close();
    }

    @Benchmark
    public EncodedInput encodeOld() {
        return OldEncoder.encodeAdmit(input, false);
    }

    @Benchmark
    public EncodedInput encodeNew() {
        return DirectCall.encode(input, false);
    }

    @Benchmark
    public String checkAllowOld() {
        return OldChecks.admit(allowOutput, encoded.facts());
    }

    @Benchmark
    public String checkAllowNew() {
        return direct.validate(allowOutput, encoded);
    }

    @Benchmark
    public String checkModifyOld() {
        return OldChecks.admit(modifyOutput, encoded.facts());
    }

    @Benchmark
    public String checkModifyNew() {
        return direct.validate(modifyOutput, encoded);
    }

    @Benchmark
    public String hostStepsOld() {
        EncodedInput in = OldEncoder.encodeAdmit(input, false);
        return OldChecks.admit(allowOutput, in.facts());
    }

    @Benchmark
    public String hostStepsNew() {
        EncodedInput in = DirectCall.encode(input, false);
        return direct.validate(allowOutput, in);
    }

    /** The admit encoder as it was before PERF-2 (Jackson generator per call, seed via UUID text). */
    static final class OldEncoder {
        private OldEncoder() {}

        static EncodedInput encodeAdmit(AdmitInput in, boolean includePrompt) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(768);
            try (JsonGenerator g = AbiJson.MAPPER.createGenerator(out)) {
                g.writeStartObject();
                writeAdmitFields(g, in, includePrompt);
                g.writeEndObject();
            }
            AdmitInput.Request r = in.request();
            RequestFacts facts = new RequestFacts(in.tenant().id(), r.taskId().toString(), in.snapshot().timeMs(),
                    seedOf(r.taskId().toString()), r.maxTokens(), r.priority(), r.deadlineMs(), r.labels(), Set.of());
            return new EncodedInput(out.toByteArray(), facts);
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

        private static long seedOf(String taskId) {
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

    /** The admit output checks as they were before PERF-2: tree, JSON Schema, then the semantic rules. */
    static final class OldChecks {
        private static final AbiSchemas SCHEMAS = AbiSchemas.get();

        private OldChecks() {}

        /** The decision's wire name, or "invalid: ..." (a rejection is a result here, not an exception). */
        static String admit(byte[] output, RequestFacts facts) {
            if (output.length == 0) {
                return "invalid: no output";
            }
            JsonNode root;
            try {
                root = AbiJson.MAPPER.readTree(output);
            } catch (JacksonException e) {
                return "invalid: " + e.getOriginalMessage();
            }
            if (root == null || !root.isObject()) {
                return "invalid: not an object";
            }
            List<String> problems = SCHEMAS.validate(AbiSchemas.Kind.ADMIT_OUTPUT, root, 3);
            if (!problems.isEmpty()) {
                return "invalid: " + problems;
            }
            AdmitDecision decision = AdmitDecision.fromWireName(root.path("decision").stringValue());
            String reason = root.path("reason").stringValue();
            if (reason.codePointCount(0, reason.length()) > 512) {
                return "invalid: reason";
            }
            JsonNode mods = root.get("modifications");
            if (decision != AdmitDecision.MODIFY) {
                return mods != null ? "invalid: modifications" : decision.wireName();
            }
            if (mods == null || !mods.isObject() || mods.isEmpty()) {
                return "invalid: modifications";
            }
            Integer maxTokens = null;
            Priority priority = null;
            Long deadlineMs = null;
            Map<String, String> labels = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : mods.properties()) {
                JsonNode v = e.getValue();
                switch (e.getKey()) {
                    case "max_tokens" -> {
                        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 1 || v.intValue() > facts.maxTokens()) {
                            return "invalid: max_tokens";
                        }
                        maxTokens = v.intValue();
                    }
                    case "priority" -> {
                        if (!v.isString() || !v.stringValue().equals(Priority.BATCH.wireName())) {
                            return "invalid: priority";
                        }
                        priority = Priority.BATCH;
                    }
                    case "deadline_ms" -> {
                        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 1
                                || v.longValue() > facts.deadlineMs()) {
                            return "invalid: deadline_ms";
                        }
                        deadlineMs = v.longValue();
                    }
                    case "labels" -> {
                        if (!v.isObject() || v.isEmpty()) {
                            return "invalid: labels";
                        }
                        for (Map.Entry<String, JsonNode> l : v.properties()) {
                            String existing = facts.labels().get(l.getKey());
                            if (!l.getValue().isString() || existing != null && !existing.equals(l.getValue().stringValue())) {
                                return "invalid: label";
                            }
                            labels.put(l.getKey(), l.getValue().stringValue());
                        }
                    }
                    default -> {
                        return "invalid: " + e.getKey();
                    }
                }
            }
            return new Modifications(maxTokens, priority, deadlineMs, labels).isEmpty() ? "invalid" : decision.wireName();
        }
    }
}
