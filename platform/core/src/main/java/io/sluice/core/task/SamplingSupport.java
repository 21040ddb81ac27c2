package io.sluice.core.task;

import io.sluice.core.error.SluiceException;
import io.sluice.core.task.Sampling.Parameter;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Which {@link Sampling} members each engine's protocol can honour (from the engines' public API documentation, see
 * docs/engine-protocols.md), so that a member an engine cannot take is refused at admission instead of silently
 * dropped. The adapters in {@code platform/engines} map exactly these members; a test there keeps both in step.
 *
 * <ul>
 *   <li>llama.cpp {@code /completion}: all members ({@code repetition_penalty} is its {@code repeat_penalty}).
 *   <li>vLLM OpenAI completions: all ({@code top_k}, {@code min_p}, {@code repetition_penalty} are vLLM's extra
 *       sampling parameters, accepted at the top level of the body).
 *   <li>TGI {@code /generate_stream}: no {@code presence_penalty} and no {@code min_p} (its {@code parameters} have
 *       neither), and {@code frequency_penalty} must be above -2.
 *   <li>Triton generate: all, in the vLLM backend's {@code parameters}; a TensorRT-LLM ensemble takes a member only
 *       when it declares the input tensor, which the adapter learns from the model metadata and refuses otherwise.
 * </ul>
 *
 * <p>Stateless and thread-safe; a check is a bit-mask test.
 */
public final class SamplingSupport {
    private static final Map<EngineKind, Integer> SUPPORTED = new EnumMap<>(EngineKind.class);

    static {
        Set<Parameter> all = EnumSet.allOf(Parameter.class);
        SUPPORTED.put(EngineKind.LLAMACPP, mask(all));
        SUPPORTED.put(EngineKind.VLLM, mask(all));
        SUPPORTED.put(EngineKind.TRITON, mask(all));
        Set<Parameter> tgi = EnumSet.allOf(Parameter.class);
        tgi.remove(Parameter.PRESENCE_PENALTY);
        tgi.remove(Parameter.MIN_P);
        SUPPORTED.put(EngineKind.TGI, mask(tgi));
    }

    private SamplingSupport() {}

    private static int mask(Set<Parameter> ps) {
        int m = 0;
        for (Parameter p : ps) {
            m |= p.bit();
        }
        return m;
    }

    /** Whether {@code engine} can take the member {@code p} at all. */
    public static boolean supports(EngineKind engine, Parameter p) {
        return (SUPPORTED.get(engine) & p.bit()) != 0;
    }

    /** Whether {@code engine} can honour every member {@code s} sets, with its value; true for null. */
    public static boolean honours(EngineKind engine, Sampling s) {
        return s == null || refusal(engine, s) == null;
    }

    /**
     * The typed {@code 400 INVALID_PARAMS} naming the first member of {@code s} that {@code engine} cannot honour, or
     * null when it honours them all.
     */
    public static SluiceException refusal(EngineKind engine, Sampling s) {
        if (s == null) {
            return null;
        }
        int unsupported = s.members() & ~SUPPORTED.get(engine);
        if (unsupported != 0) {
            Parameter p = Parameter.values()[Integer.numberOfTrailingZeros(unsupported)];
            return SluiceException.invalid(p.field(), "engine " + engine.wire() + " cannot honour " + p.field()
                    + ": its protocol has no such parameter (see docs/engine-protocols.md)");
        }
        if (engine == EngineKind.TGI && s.frequencyPenalty() != null && s.frequencyPenalty() <= -2) {
            return SluiceException.invalid(Parameter.FREQUENCY_PENALTY.field(),
                    "engine tgi cannot honour sampling.frequency_penalty -2: TGI requires a value above -2");
        }
        return null;
    }
}
