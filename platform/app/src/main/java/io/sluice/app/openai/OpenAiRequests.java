package io.sluice.app.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.chattemplates.ChatTurn;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.task.Sampling;
import io.sluice.core.task.TaskRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Turns OpenAI request bodies into task submissions (ADR 0013). Everything a task already validates (model, max
 * tokens, seed, deadline, sampling) is left to the task validator, so both APIs refuse the same values; this class
 * checks only what the task model does not have (messages, stop sequences, n) and OpenAI's own bounds of the sampling
 * members, and names OpenAI's members in its errors ({@code field} is the OpenAI parameter; {@link OpenAiErrors} maps task fields back to them).
 */
final class OpenAiRequests {
    /** OpenAI allows at most four stop sequences. */
    static final int MAX_STOPS = 4;

    private OpenAiRequests() {}

    /** What the facade needs besides the task: how to answer. */
    record Mapped(TaskRequest task, List<String> stops, boolean stream, boolean includeUsage, boolean maxCompletionTokens) {}

    /** Headers a client may set to reach Sluice features the OpenAI body cannot carry. */
    record Options(String sessionId, Long deadlineMs) {}

    /** Renders a chat request's messages for its model (the model's own chat template, ADR 0037). */
    interface PromptRenderer {
        String render(String model, UUID sessionId, List<ChatTurn> turns);
    }

    static Mapped chat(OpenAiDtos.ChatRequest r, Options o, PromptRenderer renderer) {
        require("model", r.model());
        if (r.messages() == null || r.messages().isEmpty()) {
            throw invalid("messages", "messages must be a non-empty array");
        }
        if (r.maxTokens() != null && r.maxCompletionTokens() != null && !r.maxTokens().equals(r.maxCompletionTokens())) {
            throw invalid("max_completion_tokens", "max_tokens and max_completion_tokens differ; send one of them");
        }
        Long max = r.maxCompletionTokens() != null ? r.maxCompletionTokens() : r.maxTokens();
        List<ChatTurn> turns = ChatTemplate.turns(r.messages());
        common(r.n(), r.temperature(), r.topP(), r.presencePenalty(), r.frequencyPenalty(), r.stream(), r.streamOptions());
        Sampling sampling = sampling(r.temperature(), r.topP(), r.presencePenalty(), r.frequencyPenalty());
        String session = session(o);
        // The template depends on the model the session is served by (an alias splits by session).
        String prompt = renderer.render(r.model(), sessionUuid(session), turns);
        return new Mapped(task(r.model(), prompt, max, r.seed(), sampling, r.user(), o, session), stops(r.stop()),
                Boolean.TRUE.equals(r.stream()), includeUsage(r.streamOptions()), r.maxCompletionTokens() != null);
    }

    static Mapped completion(OpenAiDtos.CompletionRequest r, Options o) {
        require("model", r.model());
        String prompt = prompt(r.prompt());
        common(r.n(), r.temperature(), r.topP(), r.presencePenalty(), r.frequencyPenalty(), r.stream(), r.streamOptions());
        Sampling sampling = sampling(r.temperature(), r.topP(), r.presencePenalty(), r.frequencyPenalty());
        return new Mapped(task(r.model(), prompt, r.maxTokens(), r.seed(), sampling, r.user(), o, session(o)), stops(r.stop()),
                Boolean.TRUE.equals(r.stream()), includeUsage(r.streamOptions()), false);
    }

    /**
     * OpenAI's sampling members as the task's {@code sampling} (same names, same meaning); null when the request sets
     * none, so the engine's defaults apply as before. The task validator checks their bounds and what the engine honours.
     */
    static Sampling sampling(Double temperature, Double topP, Double presencePenalty, Double frequencyPenalty) {
        if (temperature == null && topP == null && presencePenalty == null && frequencyPenalty == null) {
            return null;
        }
        return new Sampling(temperature, topP, null, null, presencePenalty, frequencyPenalty, null);
    }

    /** The request's session: the header's, or a new one (every request without the header is a session of its own). */
    private static String session(Options o) {
        return o.sessionId() == null ? UUID.randomUUID().toString() : o.sessionId();
    }

    /** The session as a UUID, or null when the header is not one (the task validator then refuses it). */
    private static UUID sessionUuid(String session) {
        try {
            return UUID.fromString(session);
        } catch (IllegalArgumentException notAUuid) {
            return null;
        }
    }

    private static TaskRequest task(String model, String prompt, Long maxTokens, Long seed, Sampling sampling, String user,
            Options o, String session) {
        Map<String, String> labels = user == null ? null : Map.of("openai_user", user);
        // A named session continues a conversation: ask for its replica's KV cache; a one-off request has none to reuse.
        String kvHint = o.sessionId() == null ? "cold" : "reuse";
        return new TaskRequest(UUID.randomUUID().toString(), session, "completion", model, null, null, "interactive", seed, null, null,
                prompt, null, maxTokens, o.deadlineMs(), null, kvHint, null, labels, null, null, sampling);
    }

    private static void common(Integer n, Double temperature, Double topP, Double presence, Double frequency, Boolean stream,
            OpenAiDtos.StreamOptions streamOptions) {
        if (n != null && n != 1) {
            throw invalid("n", "only n = 1 is supported: each choice would be a task of its own; send separate requests");
        }
        range("temperature", temperature, 0, 2);
        range("top_p", topP, 0, 1);
        range("presence_penalty", presence, -2, 2);
        range("frequency_penalty", frequency, -2, 2);
        if (streamOptions != null && !Boolean.TRUE.equals(stream)) {
            throw invalid("stream_options", "stream_options is only allowed when stream is true");
        }
    }

    private static boolean includeUsage(OpenAiDtos.StreamOptions o) {
        return o != null && Boolean.TRUE.equals(o.includeUsage());
    }

    private static String prompt(JsonNode p) {
        if (p == null || p.isNull()) {
            throw invalid("prompt", "prompt is required");
        }
        if (p.isTextual()) {
            return p.textValue();
        }
        if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            return p.get(0).textValue();
        }
        throw invalid("prompt", "prompt must be a string (or an array of one string); token arrays and several prompts are not supported");
    }

    static List<String> stops(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (stop.isTextual()) {
            out.add(stop.textValue());
        } else if (stop.isArray() && stop.size() <= MAX_STOPS) {
            for (JsonNode s : stop) {
                if (!s.isTextual()) {
                    throw invalid("stop", "stop must be a string or an array of up to " + MAX_STOPS + " strings");
                }
                out.add(s.textValue());
            }
        } else {
            throw invalid("stop", "stop must be a string or an array of up to " + MAX_STOPS + " strings");
        }
        for (String s : out) {
            if (s.isEmpty()) {
                throw invalid("stop", "stop sequences must not be empty");
            }
        }
        return List.copyOf(out);
    }

    private static void require(String field, String value) {
        if (value == null) {
            throw invalid(field, field + " is required");
        }
    }

    private static void range(String field, Double v, double min, double max) {
        if (v != null && (v.isNaN() || v < min || v > max)) {
            throw invalid(field, field + " must be between " + trim(min) + " and " + trim(max));
        }
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    static SluiceException invalid(String field, String message) {
        return new SluiceException(SluiceError.of(ErrorCode.INVALID_PARAMS, message).withField(field).withStage(AdmissionStage.VALIDATE));
    }
}
