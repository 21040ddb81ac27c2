package io.sluice.core.task;

import io.sluice.core.error.SluiceException;

/**
 * Per-task sampling parameters (the contract's {@code Sampling}): the members every engine Sluice speaks to can take
 * in some form, in Sluice's names. A null member is not sent, so the engine's own default applies. Bound from the
 * request body as the client sent it and checked by {@link #validate(Sampling)}; engines name these members
 * differently on the wire (the adapters map them, docs/engine-protocols.md lists how), and some engines cannot
 * take some of them ({@link SamplingSupport}).
 *
 * <p>Immutable and thread-safe. Part of the task's identity for DET-1 (equal parameters, equal stream) and of the
 * idempotency comparison of a re-posted task (it is a member of the stored body).
 *
 * @param temperature 0..2; 0 asks for greedy decoding
 * @param topP nucleus mass, above 0 and at most 1
 * @param topK keep the k most likely tokens, 0..{@value #MAX_TOP_K}; 0 turns top-k filtering off
 * @param minP 0..1, drop tokens below this fraction of the most likely token's probability
 * @param presencePenalty -2..2, OpenAI-style additive penalty on tokens already present
 * @param frequencyPenalty -2..2, OpenAI-style additive penalty growing with a token's count
 * @param repetitionPenalty above 0 and at most {@value #MAX_REPETITION_PENALTY}, multiplicative (1 = none)
 */
public record Sampling(
        Double temperature,
        Double topP,
        Long topK,
        Double minP,
        Double presencePenalty,
        Double frequencyPenalty,
        Double repetitionPenalty) {

    /** Largest accepted {@code top_k}: above any vocabulary in use. */
    public static final long MAX_TOP_K = 1_048_576L;
    /** Largest accepted {@code repetition_penalty}: engines accept more, but beyond this no text is left to sample. */
    public static final double MAX_REPETITION_PENALTY = 10.0;

    /** One member, with its contract name and the bit {@link #members()} sets for it. */
    public enum Parameter {
        TEMPERATURE("temperature"),
        TOP_P("top_p"),
        TOP_K("top_k"),
        MIN_P("min_p"),
        PRESENCE_PENALTY("presence_penalty"),
        FREQUENCY_PENALTY("frequency_penalty"),
        REPETITION_PENALTY("repetition_penalty");

        private final String wire;

        Parameter(String wire) {
            this.wire = wire;
        }

        /** The member's name in the contract (inside {@code sampling}). */
        public String wire() {
            return wire;
        }

        /** The field an error names: {@code sampling.<member>}. */
        public String field() {
            return "sampling." + wire;
        }

        int bit() {
            return 1 << ordinal();
        }
    }

    /** Bit set of the members that are set, by {@link Parameter} ordinal: engine support is one mask test. */
    public int members() {
        int m = 0;
        if (temperature != null) {
            m |= Parameter.TEMPERATURE.bit();
        }
        if (topP != null) {
            m |= Parameter.TOP_P.bit();
        }
        if (topK != null) {
            m |= Parameter.TOP_K.bit();
        }
        if (minP != null) {
            m |= Parameter.MIN_P.bit();
        }
        if (presencePenalty != null) {
            m |= Parameter.PRESENCE_PENALTY.bit();
        }
        if (frequencyPenalty != null) {
            m |= Parameter.FREQUENCY_PENALTY.bit();
        }
        if (repetitionPenalty != null) {
            m |= Parameter.REPETITION_PENALTY.bit();
        }
        return m;
    }

    /** Whether temperature 0 asks for greedy decoding (the seed and the truncation members then do not matter). */
    public boolean greedy() {
        return temperature != null && temperature == 0.0;
    }

    /**
     * Checks the members' bounds (ADM-3): {@code 400 INVALID_PARAMS} naming {@code sampling.<member>}. An object
     * without members is refused too (the contract's {@code minProperties: 1}): absent is how a task says "engine
     * defaults".
     *
     * @return {@code s} itself (null stays null)
     */
    public static Sampling validate(Sampling s) {
        if (s == null) {
            return null;
        }
        if (s.members() == 0) {
            throw SluiceException.invalid("sampling", "sampling must set at least one member; omit it for the engine's defaults");
        }
        closed(Parameter.TEMPERATURE, s.temperature, 0, 2);
        if (s.topP != null && !(s.topP > 0 && s.topP <= 1)) {
            throw SluiceException.invalid(Parameter.TOP_P.field(), "sampling.top_p must be above 0 and at most 1");
        }
        if (s.topK != null && (s.topK < 0 || s.topK > MAX_TOP_K)) {
            throw SluiceException.invalid(Parameter.TOP_K.field(), "sampling.top_k must be between 0 (off) and " + MAX_TOP_K);
        }
        closed(Parameter.MIN_P, s.minP, 0, 1);
        closed(Parameter.PRESENCE_PENALTY, s.presencePenalty, -2, 2);
        closed(Parameter.FREQUENCY_PENALTY, s.frequencyPenalty, -2, 2);
        if (s.repetitionPenalty != null && !(s.repetitionPenalty > 0 && s.repetitionPenalty <= MAX_REPETITION_PENALTY)) {
            throw SluiceException.invalid(Parameter.REPETITION_PENALTY.field(),
                    "sampling.repetition_penalty must be above 0 and at most " + (long) MAX_REPETITION_PENALTY);
        }
        return s;
    }

    private static void closed(Parameter p, Double v, double min, double max) {
        // NaN fails both comparisons and is refused with the rest.
        if (v != null && !(v >= min && v <= max)) {
            throw SluiceException.invalid(p.field(), p.field() + " must be between " + trim(min) + " and " + trim(max));
        }
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }
}
