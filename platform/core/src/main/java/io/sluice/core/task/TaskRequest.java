package io.sluice.core.task;

import java.util.List;
import java.util.Map;

/**
 * A task submission exactly as the client sent it (SPEC ADM-1), before validation: enum values are still
 * strings and numbers are unchecked, so that {@link TaskValidator} can name the offending field. The REST
 * layer binds the contract's {@code TaskRequest} body to it directly (snake_case names on the wire).
 */
public record TaskRequest(
        String taskId,
        String sessionId,
        String workload,
        String modelRef,
        String engine,
        Long ctx,
        String priority,
        Long seed,
        String determinism,
        String samplerProfileVersion,
        String prompt,
        List<String> inputs,
        Long maxTokens,
        Long deadlineMs,
        Long expectedTokens,
        String kvHint,
        Boolean override,
        Map<String, String> labels,
        Boolean cancelOnDisconnect,
        SessionBudget sessionBudget,
        Sampling sampling) {

    /** Without sampling parameters (the fields of the contract before per-task sampling). */
    public TaskRequest(String taskId, String sessionId, String workload, String modelRef, String engine, Long ctx, String priority,
            Long seed, String determinism, String samplerProfileVersion, String prompt, List<String> inputs, Long maxTokens,
            Long deadlineMs, Long expectedTokens, String kvHint, Boolean override, Map<String, String> labels,
            Boolean cancelOnDisconnect, SessionBudget sessionBudget) {
        this(taskId, sessionId, workload, modelRef, engine, ctx, priority, seed, determinism, samplerProfileVersion, prompt, inputs,
                maxTokens, deadlineMs, expectedTokens, kvHint, override, labels, cancelOnDisconnect, sessionBudget, null);
    }

    /** Without session budgets (the fields of the contract before SES-4). */
    public TaskRequest(String taskId, String sessionId, String workload, String modelRef, String engine, Long ctx, String priority,
            Long seed, String determinism, String samplerProfileVersion, String prompt, List<String> inputs, Long maxTokens,
            Long deadlineMs, Long expectedTokens, String kvHint, Boolean override, Map<String, String> labels,
            Boolean cancelOnDisconnect) {
        this(taskId, sessionId, workload, modelRef, engine, ctx, priority, seed, determinism, samplerProfileVersion, prompt, inputs,
                maxTokens, deadlineMs, expectedTokens, kvHint, override, labels, cancelOnDisconnect, null, null);
    }

    /**
     * Budgets of the session the task creates (SES-4), unchecked: a later task of an existing session cannot change
     * them. Null members are unbounded.
     */
    public record SessionBudget(Long tokens, Long timeMs, Double cost) {}
}
