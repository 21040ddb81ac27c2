package io.sluice.core.task;

import io.sluice.core.error.SluiceException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Field-level validation of a task submission (SPEC ADM-3). Checks that need the resolved model or pool
 * (context limit, token budget) happen later in admission; this class only knows the request itself.
 *
 * <p>Stateless and thread-safe.
 */
public final class TaskValidator {
    /** Largest accepted {@code max_tokens} and {@code ctx}; anything above is absurd for any engine we speak to. */
    public static final long MAX_TOKENS_LIMIT = 1_048_576L;
    /** Largest accepted relative deadline: one day. */
    public static final long MAX_DEADLINE_MS = 86_400_000L;
    public static final int DEFAULT_MAX_TOKENS = 256;
    public static final long DEFAULT_DEADLINE_MS = 60_000L;
    public static final int MAX_LABELS = 16;
    public static final int MAX_LABEL_LENGTH = 128;
    public static final int MAX_INPUTS = 1024;
    /** Longest prompt or input, in characters (the contract's maxLength). */
    public static final int MAX_TEXT_CHARS = 1_048_576;

    private TaskValidator() {}

    public static TaskSpec validate(TaskRequest r, String tenantId) {
        UUID taskId = uuid("task_id", r.taskId());
        UUID sessionId = uuid("session_id", r.sessionId());
        Workload workload = WireEnum.parse(Workload.class, "workload", required("workload", r.workload()));
        String modelRef = required("model_ref", r.modelRef());
        if (modelRef.isBlank() || modelRef.length() > 256) {
            throw SluiceException.invalid("model_ref", "model_ref must be 1..256 characters");
        }
        EngineKind engine = r.engine() == null ? null : WireEnum.parse(EngineKind.class, "engine", r.engine());
        Integer ctx = null;
        if (r.ctx() != null) {
            ctx = (int) range("ctx", r.ctx(), 1, MAX_TOKENS_LIMIT);
        }
        Priority priority = r.priority() == null ? Priority.INTERACTIVE : WireEnum.parse(Priority.class, "priority", r.priority());
        Determinism determinism = r.determinism() == null
                ? Determinism.BEST_EFFORT
                : WireEnum.parse(Determinism.class, "determinism", r.determinism());
        KvHint kvHint = r.kvHint() == null ? KvHint.REUSE : WireEnum.parse(KvHint.class, "kv_hint", r.kvHint());
        boolean seedDerived = r.seed() == null;
        long seed = seedDerived ? deriveSeed(taskId) : range("seed", r.seed(), 0, Long.MAX_VALUE);
        int maxTokens = r.maxTokens() == null ? DEFAULT_MAX_TOKENS : (int) range("max_tokens", r.maxTokens(), 1, MAX_TOKENS_LIMIT);
        long deadlineMs = r.deadlineMs() == null ? DEFAULT_DEADLINE_MS : range("deadline_ms", r.deadlineMs(), 1, MAX_DEADLINE_MS);
        Integer expected = null;
        if (r.expectedTokens() != null) {
            expected = (int) range("expected_tokens", r.expectedTokens(), 1, MAX_TOKENS_LIMIT);
        }
        if (r.samplerProfileVersion() != null && (r.samplerProfileVersion().isBlank() || r.samplerProfileVersion().length() > 64)) {
            throw SluiceException.invalid("sampler_profile_version", "sampler_profile_version must be 1..64 characters");
        }
        switch (workload) {
            case COMPLETION -> {
                if (r.prompt() == null) {
                    throw SluiceException.invalid("prompt", "prompt is required for workload completion");
                }
                if (r.inputs() != null && !r.inputs().isEmpty()) {
                    throw SluiceException.invalid("inputs", "inputs is only allowed for workloads embedding and rerank");
                }
                if (r.prompt().length() > MAX_TEXT_CHARS) {
                    throw SluiceException.invalid("prompt", "prompt is longer than " + MAX_TEXT_CHARS + " characters");
                }
            }
            case EMBEDDING, RERANK -> {
                if (r.inputs() == null || r.inputs().isEmpty()) {
                    throw SluiceException.invalid("inputs", "inputs (non-empty) is required for workload " + workload.wire());
                }
                if (r.inputs().size() > MAX_INPUTS) {
                    throw SluiceException.invalid("inputs", "at most " + MAX_INPUTS + " inputs are allowed");
                }
                for (int i = 0; i < r.inputs().size(); i++) {
                    if (r.inputs().get(i) == null) {
                        throw SluiceException.invalid("inputs[" + i + "]", "inputs must not contain null");
                    }
                    if (r.inputs().get(i).length() > MAX_TEXT_CHARS) {
                        throw SluiceException.invalid("inputs[" + i + "]", "each input is at most " + MAX_TEXT_CHARS + " characters");
                    }
                }
            }
        }
        sessionBudget(r.sessionBudget());
        Sampling sampling = Sampling.validate(r.sampling());
        if (sampling != null && engine != null) {
            // A task pinned to an engine that cannot take a member is refused here, not sent without it.
            SluiceException refused = SamplingSupport.refusal(engine, sampling);
            if (refused != null) {
                throw refused;
            }
        }
        Map<String, String> labels = labels(r.labels());
        return new TaskSpec(taskId, sessionId, tenantId, workload, modelRef, engine, ctx, priority, seed, seedDerived,
                determinism, r.samplerProfileVersion(), r.prompt(), r.inputs(), maxTokens, deadlineMs, expected, kvHint,
                Boolean.TRUE.equals(r.override()), labels, Boolean.TRUE.equals(r.cancelOnDisconnect()), sampling);
    }

    /** Largest session token budget (SES-4): a billion tokens is beyond any conversation. */
    public static final long MAX_SESSION_TOKENS = 1_000_000_000L;
    /** Largest session time budget: 30 days of decoding. */
    public static final long MAX_SESSION_TIME_MS = 2_592_000_000L;
    /** Largest session cost budget, in configured cost units. */
    public static final double MAX_SESSION_COST = 1e12;

    /** Checks the budgets a task gives the session it creates (SES-4); absurd or empty values answer 400. */
    static void sessionBudget(TaskRequest.SessionBudget b) {
        if (b == null) {
            return;
        }
        if (b.tokens() == null && b.timeMs() == null && b.cost() == null) {
            throw SluiceException.invalid("session_budget", "session_budget must set at least one of tokens, time_ms, cost");
        }
        if (b.tokens() != null) {
            range("session_budget.tokens", b.tokens(), 1, MAX_SESSION_TOKENS);
        }
        if (b.timeMs() != null) {
            range("session_budget.time_ms", b.timeMs(), 1, MAX_SESSION_TIME_MS);
        }
        if (b.cost() != null && !(b.cost() > 0 && b.cost() <= MAX_SESSION_COST)) {
            throw SluiceException.invalid("session_budget.cost", "session_budget.cost must be above 0 and at most " + (long) MAX_SESSION_COST);
        }
    }

    /**
     * The seed used when a client gives none: the first 8 bytes of SHA-256 over the task id, masked to a
     * non-negative long, so a retried task replays the same stream (DET-1).
     */
    public static long deriveSeed(UUID taskId) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            ByteBuffer b = ByteBuffer.allocate(16).putLong(taskId.getMostSignificantBits()).putLong(taskId.getLeastSignificantBits());
            byte[] d = sha.digest(b.array());
            return ByteBuffer.wrap(d, 0, 8).getLong() & Long.MAX_VALUE;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the JDK", e);
        }
    }

    private static Map<String, String> labels(Map<String, String> in) {
        if (in == null) {
            return Map.of();
        }
        if (in.size() > MAX_LABELS) {
            throw SluiceException.invalid("labels", "at most " + MAX_LABELS + " labels are allowed");
        }
        Map<String, String> out = new HashMap<>();
        for (Map.Entry<String, String> e : in.entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            if (k == null || k.isEmpty() || k.length() > MAX_LABEL_LENGTH) {
                throw SluiceException.invalid("labels", "label keys must be 1.." + MAX_LABEL_LENGTH + " characters");
            }
            if (v == null || v.length() > MAX_LABEL_LENGTH) {
                throw SluiceException.invalid("labels." + k, "label values must be 0.." + MAX_LABEL_LENGTH + " characters");
            }
            out.put(k, v);
        }
        return out;
    }

    private static String required(String field, String v) {
        if (v == null) {
            throw SluiceException.invalid(field, field + " is required");
        }
        return v;
    }

    private static UUID uuid(String field, String v) {
        required(field, v);
        try {
            UUID u = UUID.fromString(v);
            // UUID.fromString accepts short forms like "1-1-1-1-1"; insist on the canonical spelling.
            if (!u.toString().equalsIgnoreCase(v)) {
                throw new IllegalArgumentException("not canonical");
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw SluiceException.invalid(field, field + " must be a UUID");
        }
    }

    private static long range(String field, long v, long min, long max) {
        if (v < min || v > max) {
            throw SluiceException.invalid(field, field + " must be between " + min + " and " + max);
        }
        return v;
    }
}
