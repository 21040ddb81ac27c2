package io.sluice.engines;

import java.math.BigInteger;

/**
 * Maps Sluice's 64-bit task seed onto what each engine accepts, so that equal seeds give equal streams and
 * no seed turns into the engine's "pick a random seed" value (DET-1).
 */
final class Seeds {
    /** llama.cpp keeps 32 bits and reads 0xFFFFFFFF (and -1) as "random". */
    static final long LLAMACPP_RANDOM = 0xFFFF_FFFFL;

    private Seeds() {}

    /**
     * llama.cpp: a seed in [0, 0xFFFFFFFE] is sent unchanged, so a task reproduces what a direct call with the
     * same small seed gives. Any other value is folded to 32 bits (high half XOR low half) and, should that
     * land on the random marker, moved to 0xFFFFFFFE. Distinct large seeds can therefore collide; they can
     * never become random.
     */
    static long llamaCpp(long seed) {
        if (seed >= 0 && seed < LLAMACPP_RANDOM) {
            return seed;
        }
        long folded = (seed ^ (seed >>> 32)) & 0xFFFF_FFFFL;
        return folded == LLAMACPP_RANDOM ? LLAMACPP_RANDOM - 1 : folded;
    }

    /**
     * TGI: the seed is an unsigned 64-bit integer; a negative Java long is sent as its unsigned value (the
     * same 64 bits), which TGI would otherwise refuse as invalid JSON for u64.
     */
    static BigInteger tgi(long seed) {
        return new BigInteger(Long.toUnsignedString(seed));
    }

    /** vLLM (also behind Triton): a signed 64-bit integer, every value valid. */
    static long vllm(long seed) {
        return seed;
    }
}
