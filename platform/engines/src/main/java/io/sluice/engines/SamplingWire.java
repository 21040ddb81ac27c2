package io.sluice.engines;

import io.sluice.core.task.Sampling;
import java.util.Map;

/**
 * Writes a task's {@link Sampling} in each engine's own member names (docs/engine-protocols.md, "Sampling
 * parameters"). A null member is never written, so the engine's default applies; every member Sluice accepts for an
 * engine ({@link io.sluice.core.task.SamplingSupport}) is written, none is dropped.
 */
final class SamplingWire {
    private SamplingWire() {}

    /**
     * llama.cpp {@code /completion}: Sluice's names except {@code repeat_penalty}; {@code top_k} 0 is the server's own
     * "off".
     */
    static void llamaCpp(Sampling s, Map<String, Object> body) {
        if (s == null) {
            return;
        }
        put(body, "temperature", s.temperature());
        put(body, "top_k", s.topK());
        put(body, "top_p", s.topP());
        put(body, "min_p", s.minP());
        put(body, "presence_penalty", s.presencePenalty());
        put(body, "frequency_penalty", s.frequencyPenalty());
        put(body, "repeat_penalty", s.repetitionPenalty());
    }

    /**
     * vLLM's sampling parameters (the OpenAI members plus vLLM's {@code top_k}, {@code min_p},
     * {@code repetition_penalty}), also what Triton's vLLM backend takes in {@code parameters}. vLLM's "off" for
     * {@code top_k} is -1 (0 is refused by older releases), so 0 is sent as -1.
     */
    static void vllm(Sampling s, Map<String, Object> body) {
        if (s == null) {
            return;
        }
        put(body, "temperature", s.temperature());
        put(body, "top_p", s.topP());
        if (s.topK() != null) {
            body.put("top_k", s.topK() == 0 ? -1L : s.topK());
        }
        put(body, "min_p", s.minP());
        put(body, "presence_penalty", s.presencePenalty());
        put(body, "frequency_penalty", s.frequencyPenalty());
        put(body, "repetition_penalty", s.repetitionPenalty());
    }

    /**
     * TGI {@code parameters}. TGI samples only with {@code do_sample: true} (or when a truncation member is set) and
     * refuses {@code temperature} 0 and {@code top_k} 0: temperature 0 is sent as {@code do_sample: false} without
     * the truncation members (greedy ignores them), any other temperature with {@code do_sample: true}; top_k 0 (off)
     * is TGI's default and is not sent. The penalties apply in either mode.
     */
    static void tgi(Sampling s, Map<String, Object> params) {
        if (s == null) {
            return;
        }
        if (s.greedy()) {
            params.put("do_sample", false);
        } else {
            if (s.temperature() != null || s.topP() != null || (s.topK() != null && s.topK() > 0)) {
                params.put("do_sample", true);
            }
            put(params, "temperature", s.temperature());
            put(params, "top_p", s.topP());
            if (s.topK() != null && s.topK() > 0) {
                params.put("top_k", s.topK());
            }
        }
        put(params, "frequency_penalty", s.frequencyPenalty());
        put(params, "repetition_penalty", s.repetitionPenalty());
    }

    private static void put(Map<String, Object> body, String name, Object value) {
        if (value != null) {
            body.put(name, value);
        }
    }
}
