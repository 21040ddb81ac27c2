package io.sluice.core.engine;

import java.util.UUID;

/**
 * What the platform asks an engine to generate. Only the parameters that shape the token stream are
 * passed, so that equal requests give byte-identical streams (DET-1).
 */
public record GenerationRequest(UUID taskId, String model, String prompt, int maxTokens, long seed, Integer ctx) {}
