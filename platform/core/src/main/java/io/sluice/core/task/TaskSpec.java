package io.sluice.core.task;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A validated task. Defaults are applied: {@code ctx} may still be {@code null} meaning "the pool's
 * maximum"; {@code seed} is always set (derived from the task id when the client omitted it, DET-1).
 * {@code cancelOnDisconnect}: the task is canceled when the last reader of its stream disconnects before it ended.
 * {@code sampling}: the task's sampling parameters, null for the engine's defaults (validated, see {@link Sampling}).
 */
public record TaskSpec(
        UUID taskId,
        UUID sessionId,
        String tenantId,
        Workload workload,
        String modelRef,
        EngineKind engine,
        Integer ctx,
        Priority priority,
        long seed,
        boolean seedDerived,
        Determinism determinism,
        String samplerProfileVersion,
        String prompt,
        List<String> inputs,
        int maxTokens,
        long deadlineMs,
        Integer expectedTokens,
        KvHint kvHint,
        boolean override,
        Map<String, String> labels,
        boolean cancelOnDisconnect,
        Sampling sampling) {

    public TaskSpec {
        inputs = inputs == null ? List.of() : List.copyOf(inputs);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /**
     * A conservative estimate of prompt tokens used for budget checks before the engine tokenizes: one
     * token per 4 UTF-8 bytes, rounded up, at least one per input. Engines tokenize more tightly on
     * ordinary text, so admission never under-counts by much.
     */
    public int estimatedPromptTokens() {
        long bytes = 0;
        if (prompt != null) {
            bytes += prompt.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }
        for (String in : inputs) {
            bytes += Math.max(4, in.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        }
        return (int) Math.min(Integer.MAX_VALUE, (bytes + 3) / 4);
    }

    public TaskSpec withPriority(Priority newPriority) {
        return new TaskSpec(taskId, sessionId, tenantId, workload, modelRef, engine, ctx, newPriority, seed, seedDerived,
                determinism, samplerProfileVersion, prompt, inputs, maxTokens, deadlineMs, expectedTokens, kvHint,
                override, labels, cancelOnDisconnect, sampling);
    }

    public TaskSpec withMaxTokens(int newMaxTokens) {
        return new TaskSpec(taskId, sessionId, tenantId, workload, modelRef, engine, ctx, priority, seed, seedDerived,
                determinism, samplerProfileVersion, prompt, inputs, newMaxTokens, deadlineMs, expectedTokens, kvHint,
                override, labels, cancelOnDisconnect, sampling);
    }

    public TaskSpec withDeadlineMs(long newDeadlineMs) {
        return new TaskSpec(taskId, sessionId, tenantId, workload, modelRef, engine, ctx, priority, seed, seedDerived,
                determinism, samplerProfileVersion, prompt, inputs, maxTokens, newDeadlineMs, expectedTokens, kvHint,
                override, labels, cancelOnDisconnect, sampling);
    }

    public TaskSpec withLabels(Map<String, String> newLabels) {
        return new TaskSpec(taskId, sessionId, tenantId, workload, modelRef, engine, ctx, priority, seed, seedDerived,
                determinism, samplerProfileVersion, prompt, inputs, maxTokens, deadlineMs, expectedTokens, kvHint,
                override, newLabels, cancelOnDisconnect, sampling);
    }

    /** The same task with the tenant's default for when its stream's last reader disconnects (the request named none). */
    public TaskSpec withCancelOnDisconnect(boolean newCancelOnDisconnect) {
        return new TaskSpec(taskId, sessionId, tenantId, workload, modelRef, engine, ctx, priority, seed, seedDerived,
                determinism, samplerProfileVersion, prompt, inputs, maxTokens, deadlineMs, expectedTokens, kvHint,
                override, labels, newCancelOnDisconnect, sampling);
    }

    /** The same task for another model name: the catalog resolved an alias, {@code name:tag} or id (LIFE-3). */
    public TaskSpec withModelRef(String newModelRef) {
        return new TaskSpec(taskId, sessionId, tenantId, workload, newModelRef, engine, ctx, priority, seed, seedDerived,
                determinism, samplerProfileVersion, prompt, inputs, maxTokens, deadlineMs, expectedTokens, kvHint,
                override, labels, cancelOnDisconnect, sampling);
    }
}
