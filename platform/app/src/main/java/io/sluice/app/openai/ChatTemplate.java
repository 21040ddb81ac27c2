package io.sluice.app.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.chattemplates.ChatTurn;
import java.util.ArrayList;
import java.util.List;

/**
 * Chat messages as the facade takes them, and Sluice's own fixed prompt format, the fallback for a model whose
 * catalog entry and engine declare no chat template (ADR 0013, ADR 0037).
 *
 * <p>Messages: {@code developer} messages count as {@code system} (OpenAI's newer name for the same role). Content is
 * a string or an array of {@code {"type":"text","text":…}} parts, joined without separator; images, audio and tool
 * calls are refused, because no Sluice engine is given them.
 *
 * <p>The fixed format: each message as {@code <|role|>}, a newline, its text and a newline, followed by
 * {@code <|assistant|>} and a newline for the answer.
 */
final class ChatTemplate {
    private ChatTemplate() {}

    /** The messages as turns a template renders; refuses what the facade does not support, naming the member. */
    static List<ChatTurn> turns(List<OpenAiDtos.ChatMessage> messages) {
        List<ChatTurn> turns = new ArrayList<>(messages.size());
        StringBuilder sb = new StringBuilder(64);
        for (int i = 0; i < messages.size(); i++) {
            OpenAiDtos.ChatMessage m = messages.get(i);
            String at = "messages[" + i + "]";
            if (m == null) {
                throw OpenAiRequests.invalid(at, at + " must be an object");
            }
            String role = role(m.role(), at);
            sb.setLength(0);
            text(sb, m.content(), at + ".content");
            turns.add(new ChatTurn(role, sb.toString()));
        }
        return turns;
    }

    /** Sluice's fixed format. */
    static String render(List<ChatTurn> turns) {
        StringBuilder sb = new StringBuilder(256);
        for (ChatTurn t : turns) {
            sb.append("<|").append(t.role()).append("|>\n").append(t.content()).append('\n');
        }
        return sb.append("<|assistant|>\n").toString();
    }

    private static String role(String role, String at) {
        if (role == null) {
            throw OpenAiRequests.invalid(at + ".role", at + ".role is required");
        }
        return switch (role) {
            case "system", "developer" -> "system";
            case "user" -> "user";
            case "assistant" -> "assistant";
            default -> throw OpenAiRequests.invalid(at + ".role",
                    at + ".role must be system, developer, user or assistant (tool messages are not supported)");
        };
    }

    private static void text(StringBuilder sb, JsonNode content, String at) {
        if (content == null || content.isNull()) {
            throw OpenAiRequests.invalid(at, at + " is required");
        }
        if (content.isTextual()) {
            sb.append(content.textValue());
            return;
        }
        if (!content.isArray() || content.isEmpty()) {
            throw OpenAiRequests.invalid(at, at + " must be a string or a non-empty array of text parts");
        }
        for (int i = 0; i < content.size(); i++) {
            JsonNode part = content.get(i);
            if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                throw OpenAiRequests.invalid(at + "[" + i + "]",
                        at + "[" + i + "] must be {\"type\":\"text\",\"text\":…}; other parts are not supported");
            }
            sb.append(part.get("text").textValue());
        }
    }
}
