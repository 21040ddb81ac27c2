package io.sluice.chattemplates;

/**
 * One chat message as a template sees it: {@code message['role']} and {@code message['content']}.
 *
 * @param role {@code system}, {@code user} or {@code assistant} (whatever the caller validated)
 * @param content the message's text
 */
public record ChatTurn(String role, String content) {
    public ChatTurn {
        if (role == null || content == null) {
            throw new IllegalArgumentException("a chat turn has a role and a content");
        }
    }
}
