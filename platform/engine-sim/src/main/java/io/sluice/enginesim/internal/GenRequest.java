package io.sluice.enginesim.internal;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A generation request after protocol-specific parsing.
 *
 * @param prompt prompt text, the input of the deterministic stream
 * @param promptTokens simulated prompt length
 * @param maxTokens how many tokens to generate; generation then ends with reason "length"
 * @param requestedMax the protocol's max field as sent (echoed back by llama.cpp), or -1
 * @param seed effective seed
 * @param seedGiven whether the request carried a seed
 * @param stream whether to stream frames
 * @param preferredSlot llama.cpp id_slot, or -1 for any
 * @param temperature echoed in settings, not used for sampling
 * @param details TGI: whether to include details
 * @param includeUsage vLLM stream_options.include_usage
 * @param arrayAnswer TGI compat route {@code /}: the non-streaming answer is a one-element array
 * @param raw the parsed request body
 * @param sampler canonical key of the sampling settings that differ from the protocol's defaults (empty: none), mixed
 *     into the stream ({@link io.sluice.enginesim.DeterministicText#base(long, String, String, String, String)})
 */
public record GenRequest(
        String prompt,
        int promptTokens,
        int maxTokens,
        int requestedMax,
        long seed,
        boolean seedGiven,
        boolean stream,
        int preferredSlot,
        double temperature,
        boolean details,
        boolean includeUsage,
        boolean arrayAnswer,
        JsonNode raw,
        String sampler) {}
