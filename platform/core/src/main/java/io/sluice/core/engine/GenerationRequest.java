package io.sluice.core.engine;

import io.sluice.core.task.Sampling;
import java.util.UUID;

/**
 * What the platform asks an engine to generate. Only the parameters that shape the token stream are
 * passed, so that equal requests give byte-identical streams (DET-1).
 *
 * @param maxTokens tokens to generate in this request (for a resumed task: what is left of its {@code max_tokens})
 * @param resumeText for a task resumed after hard preemption (SCH-5, ADR 0027), the text its earlier request had
 *     streamed, which the engine continues after; null for a new generation. Only sent to an adapter that
 *     {@linkplain EngineAdapter#interruptibleDecode() declares interruptible decode}.
 * @param sampling the task's sampling parameters, each sent in the engine's own wire name; null (or a null member)
 *     sends nothing, so the engine's default applies. Admission only places a task on an engine that can honour
 *     every member ({@link io.sluice.core.task.SamplingSupport}); an adapter that finds it cannot after all (a Triton
 *     model without the input) fails the generation with INVALID_PARAMS rather than drop the member.
 */
public record GenerationRequest(
        UUID taskId, String model, String prompt, int maxTokens, long seed, Integer ctx, String resumeText, Sampling sampling) {

    public GenerationRequest(UUID taskId, String model, String prompt, int maxTokens, long seed, Integer ctx, String resumeText) {
        this(taskId, model, prompt, maxTokens, seed, ctx, resumeText, null);
    }

    public GenerationRequest(UUID taskId, String model, String prompt, int maxTokens, long seed, Integer ctx) {
        this(taskId, model, prompt, maxTokens, seed, ctx, null, null);
    }
}
