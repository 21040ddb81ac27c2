package io.sluice.core.engine;

import java.util.UUID;

/**
 * What the platform asks an engine to generate. Only the parameters that shape the token stream are
 * passed, so that equal requests give byte-identical streams (DET-1).
 *
 * @param maxTokens tokens to generate in this request (for a resumed task: what is left of its {@code max_tokens})
 * @param resumeText for a task resumed after hard preemption (SCH-5, ADR 0027), the text its earlier request had
 *     streamed, which the engine continues after; null for a new generation. Only sent to an adapter that
 *     {@linkplain EngineAdapter#interruptibleDecode() declares interruptible decode}.
 */
public record GenerationRequest(UUID taskId, String model, String prompt, int maxTokens, long seed, Integer ctx, String resumeText) {

    public GenerationRequest(UUID taskId, String model, String prompt, int maxTokens, long seed, Integer ctx) {
        this(taskId, model, prompt, maxTokens, seed, ctx, null);
    }
}
