package io.sluice.app.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Renders chat messages into the one prompt a task carries (ADR 0013): each message as {@code <|role|>}, a newline,
 * its text and a newline, followed by {@code <|assistant|>} and a newline for the answer. {@code developer} messages
 * render as {@code system} (OpenAI's newer name for the same role). Content is a string or an array of
 * {@code {"type":"text","text":…}} parts, joined without separator; images, audio and tool calls are refused,
 * because no Sluice engine is given them.
 */
final class ChatTemplate {
    private ChatTemplate() {}

    static String render(List<OpenAiDtos.ChatMessage> messages) {
        StringBuilder sb = new StringBuilder(256);
        for (int i = 0; i < messages.size(); i++) {
            OpenAiDtos.ChatMessage m = messages.get(i);
            String at = "messages[" + i + "]";
            if (m == null) {
                throw OpenAiRequests.invalid(at, at + " must be an object");
            }
            String role = role(m.role(), at);
            sb.append("<|").append(role).append("|>\n");
            text(sb, m.content(), at + ".content");
            sb.append('\n');
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
