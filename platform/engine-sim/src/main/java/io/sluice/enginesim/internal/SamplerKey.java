package io.sluice.enginesim.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sampling settings a request carries, read in each protocol's own member names and reduced to the canonical
 * key that {@link io.sluice.enginesim.DeterministicText#base(long, String, String, String, String)} mixes into the
 * stream: {@code name=value} pairs in name order, joined by {@code ;}, using Sluice's names ({@code temperature},
 * {@code top_p}, {@code top_k}, {@code min_p}, {@code presence_penalty}, {@code frequency_penalty},
 * {@code repetition_penalty}, and TGI's {@code do_sample}). A member equal to the protocol's default is left out, as
 * an engine treats sending its default like sending nothing; so a request without sampling members streams exactly
 * what it streamed before the simulator read them. {@code top_k} "off" (0 or -1) is one value.
 *
 * <p>Not thread-safe; one instance per request.
 */
final class SamplerKey {
    private final Map<String, String> members = new TreeMap<>();
    private String invalid;

    /** A floating-point member under {@code wire}, kept unless absent, null or equal to {@code dflt}. */
    SamplerKey decimal(JsonNode body, String wire, String name, double dflt) {
        JsonNode v = body.get(wire);
        if (v == null || v.isNull()) {
            return this;
        }
        if (!v.isNumber()) {
            invalid = "`" + wire + "` must be a number";
            return this;
        }
        double d = v.asDouble();
        if (d != dflt) {
            members.put(name, Double.toString(d));
        }
        return this;
    }

    /** {@code top_k} under {@code wire}: 0 and negative values are "off"; kept unless off equals the default. */
    SamplerKey topK(JsonNode body, String wire, long dflt) {
        JsonNode v = body.get(wire);
        if (v == null || v.isNull()) {
            return this;
        }
        if (!v.isIntegralNumber()) {
            invalid = "`" + wire + "` must be an integer";
            return this;
        }
        long k = Math.max(0, v.asLong());
        if (k != Math.max(0, dflt)) {
            members.put("top_k", Long.toString(k));
        }
        return this;
    }

    /** A boolean member under {@code wire}, kept unless absent or equal to {@code dflt}. */
    SamplerKey flag(JsonNode body, String wire, String name, boolean dflt) {
        JsonNode v = body.get(wire);
        if (v != null && v.isBoolean() && v.asBoolean() != dflt) {
            members.put(name, Boolean.toString(v.asBoolean()));
        }
        return this;
    }

    /** The value kept for {@code name}, or null. */
    String get(String name) {
        return members.get(name);
    }

    /** Why the members cannot be read (a wrong type), or null. */
    String invalid() {
        return invalid;
    }

    /** The canonical key; empty when every member is absent or the default. */
    String key() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : members.entrySet()) {
            if (!sb.isEmpty()) {
                sb.append(';');
            }
            sb.append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }

    /** llama.cpp {@code /completion}, with llama-server's defaults. */
    static SamplerKey llamaCpp(JsonNode n) {
        return new SamplerKey()
                .decimal(n, "temperature", "temperature", 0.8)
                .topK(n, "top_k", 40)
                .decimal(n, "top_p", "top_p", 0.95)
                .decimal(n, "min_p", "min_p", 0.05)
                .decimal(n, "presence_penalty", "presence_penalty", 0.0)
                .decimal(n, "frequency_penalty", "frequency_penalty", 0.0)
                .decimal(n, "repeat_penalty", "repetition_penalty", 1.0);
    }

    /** vLLM's sampling parameters (also Triton's vLLM backend {@code parameters}), with vLLM's defaults. */
    static SamplerKey vllm(JsonNode n) {
        return new SamplerKey()
                .decimal(n, "temperature", "temperature", 1.0)
                .decimal(n, "top_p", "top_p", 1.0)
                .topK(n, "top_k", -1)
                .decimal(n, "min_p", "min_p", 0.0)
                .decimal(n, "presence_penalty", "presence_penalty", 0.0)
                .decimal(n, "frequency_penalty", "frequency_penalty", 0.0)
                .decimal(n, "repetition_penalty", "repetition_penalty", 1.0);
    }

    /**
     * TGI {@code parameters}: every member defaults to unset (TGI decodes greedily unless {@code do_sample} is true or
     * a truncation member is set), so any value sent counts.
     */
    static SamplerKey tgi(JsonNode params) {
        return new SamplerKey()
                .flag(params, "do_sample", "do_sample", false)
                .decimal(params, "temperature", "temperature", Double.NaN)
                .decimal(params, "top_p", "top_p", Double.NaN)
                .topK(params, "top_k", 0)
                .decimal(params, "frequency_penalty", "frequency_penalty", Double.NaN)
                .decimal(params, "repetition_penalty", "repetition_penalty", Double.NaN);
    }

    /** A TensorRT-LLM ensemble's optional input tensors (either generation of their names), with its defaults. */
    static SamplerKey tritonTensors(JsonNode n) {
        SamplerKey k = new SamplerKey()
                .decimal(n, "temperature", "temperature", 1.0)
                .decimal(n, n.has("runtime_top_p") ? "runtime_top_p" : "top_p", "top_p", 1.0)
                .topK(n, n.has("runtime_top_k") ? "runtime_top_k" : "top_k", 0)
                .decimal(n, "min_p", "min_p", 0.0)
                .decimal(n, "presence_penalty", "presence_penalty", 0.0)
                .decimal(n, "frequency_penalty", "frequency_penalty", 0.0)
                .decimal(n, "repetition_penalty", "repetition_penalty", 1.0);
        return k;
    }
}
