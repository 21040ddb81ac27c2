package io.sluice.app.chattemplates;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.chattemplates.ChatTemplateEngine;
import io.sluice.chattemplates.ChatTemplateException;
import io.sluice.chattemplates.CompiledChatTemplate;
import io.sluice.core.error.SluiceException;
import io.sluice.core.task.TaskValidator;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;

/**
 * The application's one chat-template engine (ADR 0037): compiled templates are shared by the catalog's ingest check
 * and the OpenAI-compatible facade, so a template an admin declared is parsed once.
 *
 * <p>Limits: a template up to {@value #MAX_TEMPLATE_CHARS} characters; a rendered prompt up to the task's own prompt
 * limit ({@link TaskValidator#MAX_TEXT_CHARS}); {@value #RENDER_BUDGET_MS} ms of CPU time per render, a bound for a
 * broken or hostile template (a render takes tens to hundreds of microseconds, docs/benchmarks/chat-templates.md); up to
 * {@value #MAX_CACHED} compiled templates kept.
 */
@ApplicationScoped
public class ChatTemplates {
    /** Hugging Face templates of current models are a few KiB; the largest with tool-calling logic stay below 20 KiB. */
    public static final int MAX_TEMPLATE_CHARS = 64 * 1024;
    public static final long RENDER_BUDGET_MS = 25;
    public static final int MAX_CACHED = 64;
    /** Longest {@code bos_token} or {@code eos_token} accepted in a manifest. */
    public static final int MAX_TOKEN_CHARS = 256;

    private final ChatTemplateEngine engine = new ChatTemplateEngine(new ChatTemplateEngine.Limits(MAX_TEMPLATE_CHARS,
            TaskValidator.MAX_TEXT_CHARS, Duration.ofMillis(RENDER_BUDGET_MS), MAX_CACHED));

    /** @throws ChatTemplateException when the template cannot be used */
    public CompiledChatTemplate compile(String source, String bosToken, String eosToken) {
        return engine.compile(source, bosToken, eosToken);
    }

    /**
     * Checks the chat template a catalog manifest declares ({@code chat_template}, optionally {@code bos_token} and
     * {@code eos_token}): absent is fine; present, it must be a string that compiles and renders a plain conversation.
     *
     * @throws SluiceException {@code INVALID_PARAMS} naming {@code manifest.<member>}
     */
    public void checkManifest(JsonNode manifest) {
        JsonNode template = manifest.get("chat_template");
        for (String token : new String[] {"bos_token", "eos_token"}) {
            JsonNode t = manifest.get(token);
            if (t != null && (!t.isTextual() || t.textValue().length() > MAX_TOKEN_CHARS)) {
                throw SluiceException.invalid("manifest." + token, "manifest." + token + " must be a string of at most "
                        + MAX_TOKEN_CHARS + " characters");
            }
        }
        if (template == null) {
            return;
        }
        if (!template.isTextual()) {
            throw SluiceException.invalid("manifest.chat_template", "manifest.chat_template must be a string (a Jinja chat template)");
        }
        try {
            engine.compile(template.textValue(), text(manifest, "bos_token"), text(manifest, "eos_token"));
        } catch (ChatTemplateException e) {
            throw SluiceException.invalid("manifest.chat_template", "manifest.chat_template cannot be used: " + e.getMessage());
        }
    }

    private static String text(JsonNode manifest, String member) {
        JsonNode n = manifest.get(member);
        return n == null ? "" : n.textValue();
    }
}
