package io.sluice.enginesim;

import java.util.Locale;

/**
 * The chat template a simulated llama.cpp server reports in {@code GET /props} ({@code chat_template}, with the
 * {@code bos_token} and {@code eos_token} that go with it). A real server reports the Jinja template stored in the
 * model's GGUF metadata; these two follow the shapes of widely used template families, so that a gateway rendering
 * the engine's template can be tested against something that looks like what it meets in production (ADR 0037).
 */
public enum SimChatTemplate {
    /** No template: {@code chat_template} is empty, as for a model file without one. */
    NONE("none", "", "", ""),
    /** The ChatML family: {@code <|im_start|>role}, newline, content, {@code <|im_end|>}. */
    CHATML("chatml",
            "{% for message in messages %}"
                    + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
                    + "{% endfor %}"
                    + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
            "", "<|im_end|>"),
    /**
     * The Llama 3 family: a begin-of-text token, then per message a header naming the role, a blank line, the trimmed
     * content and an end-of-turn token.
     */
    LLAMA3("llama3",
            "{{ bos_token }}"
                    + "{% for message in messages %}"
                    + "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + (message['content'] | trim) + '<|eot_id|>' }}"
                    + "{% endfor %}"
                    + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
            "<|begin_of_text|>", "<|eot_id|>");

    private final String id;
    private final String template;
    private final String bosToken;
    private final String eosToken;

    SimChatTemplate(String id, String template, String bosToken, String eosToken) {
        this.id = id;
        this.template = template;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
    }

    public String id() {
        return id;
    }

    /** The Jinja source {@code /props} reports; empty for {@link #NONE}. */
    public String template() {
        return template;
    }

    public String bosToken() {
        return bosToken;
    }

    public String eosToken() {
        return eosToken;
    }

    /** Parses the command-line id ({@code none}, {@code chatml}, {@code llama3}). */
    public static SimChatTemplate fromId(String id) {
        for (SimChatTemplate t : values()) {
            if (t.id.equals(id.toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("chat_template must be none, chatml or llama3, got '" + id + "'");
    }
}
