package io.sluice.core.engine;

/**
 * The chat template an engine reports for the model it serves (llama.cpp: {@code chat_template}, {@code bos_token}
 * and {@code eos_token} of {@code GET /props}), which the OpenAI-compatible facade renders chat messages with when the
 * catalog declares none (ADR 0037).
 *
 * @param template the Jinja source, never empty
 * @param bosToken the model's begin-of-sequence text, empty when not reported
 * @param eosToken the model's end-of-sequence text, empty when not reported
 */
public record EngineChatTemplate(String template, String bosToken, String eosToken) {
    public EngineChatTemplate {
        if (template == null || template.isEmpty()) {
            throw new IllegalArgumentException("a reported chat template is not empty");
        }
        bosToken = bosToken == null ? "" : bosToken;
        eosToken = eosToken == null ? "" : eosToken;
    }
}
