package io.sluice.app.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Request bodies of the OpenAI-compatible operations (SPEC ADM-9), bound by the application's strict JSON mapper
 * (snake_case, unknown members refused). Members that take a string or an array ({@code stop}, {@code prompt},
 * {@code content}) stay JSON nodes and are checked by {@link OpenAiRequests}.
 */
final class OpenAiDtos {
    private OpenAiDtos() {}

    /** {@code ChatCompletionRequest}. */
    record ChatRequest(
            String model,
            List<ChatMessage> messages,
            Long maxTokens,
            Long maxCompletionTokens,
            Double temperature,
            Double topP,
            Double presencePenalty,
            Double frequencyPenalty,
            Long seed,
            JsonNode stop,
            Boolean stream,
            StreamOptions streamOptions,
            Integer n,
            String user) {}

    /** {@code ChatMessage}: {@code content} is a string or an array of text parts. */
    record ChatMessage(String role, JsonNode content, String name) {}

    /** {@code StreamOptions}. */
    record StreamOptions(Boolean includeUsage) {}

    /** {@code CompletionRequest}: {@code prompt} is a string or an array of exactly one string. */
    record CompletionRequest(
            String model,
            JsonNode prompt,
            Long maxTokens,
            Double temperature,
            Double topP,
            Double presencePenalty,
            Double frequencyPenalty,
            Long seed,
            JsonNode stop,
            Boolean stream,
            StreamOptions streamOptions,
            Integer n,
            String user) {}

    /** OpenAI's error body: every member present, {@code param} and {@code code} null when they have no value. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record ErrorEnvelope(ErrorObject error) {}

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record ErrorObject(String message, String type, String param, String code) {}
}
