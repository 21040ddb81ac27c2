package io.sluice.core.engine;

/**
 * What a replica reports about itself.
 *
 * @param engineVersion engine build/version string (replicas of one set must agree, POOL-1)
 * @param modelDigest sha256 digest of the served model, hex, or {@code null} when the engine does not tell
 * @param model served model name
 * @param ctxMax context size the engine was started with
 * @param slots concurrent decode slots
 * @param busySlots slots currently decoding, as the engine reports them (-1 when unknown)
 */
public record EngineProbe(String engineVersion, String modelDigest, String model, int ctxMax, int slots, int busySlots) {}
