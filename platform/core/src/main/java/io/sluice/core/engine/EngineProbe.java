package io.sluice.core.engine;

import java.util.List;

/**
 * What a replica reports about itself.
 *
 * @param engineVersion engine build/version string (replicas of one set must agree, POOL-1)
 * @param modelDigest sha256 digest of the served model, hex, or {@code null} when the engine does not tell
 * @param model served model name
 * @param ctxMax context size the engine was started with
 * @param slots concurrent decode slots
 * @param busySlots slots currently decoding, as the engine reports them (-1 when unknown)
 * @param gpus GPU indices the engine says it runs on, ascending, or {@code null} when the engine does not tell (only
 *     Triton does, in its model configuration's instance groups); an empty list means no GPU at all
 */
public record EngineProbe(String engineVersion, String modelDigest, String model, int ctxMax, int slots, int busySlots,
        List<Integer> gpus) {
    public EngineProbe {
        gpus = gpus == null ? null : List.copyOf(gpus);
    }

    /** A report that says nothing about GPUs, as llama.cpp, vLLM and TGI give. */
    public EngineProbe(String engineVersion, String modelDigest, String model, int ctxMax, int slots, int busySlots) {
        this(engineVersion, modelDigest, model, ctxMax, slots, busySlots, null);
    }
}
