package io.sluice.chattemplates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ChatTemplateEngineTest {
    private static final ChatTemplateEngine ENGINE = new ChatTemplateEngine(
            new ChatTemplateEngine.Limits(64 * 1024, 10_000, Duration.ofMillis(50), 8));

    private static final String CHATML = "{% for message in messages %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** Llama 3 shape, on one line as the model ships it. */
    private static final String LLAMA3 = "{{ bos_token }}{% for message in messages %}"
            + "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + (message['content'] | trim) + '<|eot_id|>' }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    /** Mistral shape: refuses roles out of order, slices the list, uses loop variables and a namespace. */
    private static final String MISTRAL = "{% if messages[0]['role'] == 'system' %}{% set system = messages[0]['content'] %}"
            + "{% set loop_messages = messages[1:] %}{% else %}{% set system = '' %}{% set loop_messages = messages %}{% endif %}"
            + "{% set ns = namespace(turns=0) %}{{ bos_token }}{% for message in loop_messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if message['role'] == 'user' %}{% if loop.first and system != '' %}"
            + "{{ '[INST] ' + system + '\\n\\n' + message['content'] + ' [/INST]' }}"
            + "{% else %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% endif %}{% set ns.turns = ns.turns + 1 %}"
            + "{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}{{ ns.turns }}";

    /** Block tags on their own indented lines: trim_blocks and lstrip_blocks leave only the text lines. */
    private static final String BLOCKS = """
            {% for message in messages %}
                {% if message['role'] == 'user' %}
            U:{{ message['content'] }}
                {% endif %}
            {% endfor %}
            """;

    private static List<ChatTurn> conversation() {
        return List.of(new ChatTurn("system", "Be brief."), new ChatTurn("user", "Hi"), new ChatTurn("assistant", "Hello!"),
                new ChatTurn("user", "  Why is the sky blue?  "));
    }

    @Test
    @DisplayName("a ChatML template renders each message between its markers and opens the assistant's turn")
    void chatMl() {
        String out = ENGINE.compile(CHATML, "", "<|im_end|>").render(conversation());
        assertThat(out).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n  Why is the sky blue?  <|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    @DisplayName("a Llama 3 template renders with bos_token and the trim filter")
    void llama3() {
        String out = ENGINE.compile(LLAMA3, "<|begin_of_text|>", "<|eot_id|>").render(conversation());
        assertThat(out).isEqualTo("<|begin_of_text|>"
                + "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhy is the sky blue?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    @Test
    @DisplayName("a Mistral-style template: slicing, loop.first, namespace and eos_token render; roles out of order are refused "
            + "with the template's own message")
    void mistralAndRefusal() {
        CompiledChatTemplate t = ENGINE.compile(MISTRAL, "<s>", "</s>");
        assertThat(t.render(conversation())).isEqualTo("<s>[INST] Be brief.\n\nHi [/INST]Hello!</s>[INST]   Why is the sky blue?   [/INST]2");
        assertThatThrownBy(() -> t.render(List.of(new ChatTurn("user", "a"), new ChatTurn("user", "b"))))
                .isInstanceOfSatisfying(ChatTemplateException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ChatTemplateException.Kind.REFUSED);
                    assertThat(e.getMessage()).isEqualTo("Conversation roles must alternate user/assistant/user/assistant/...");
                });
        // The refusal does not stick to the thread: the next render succeeds.
        assertThat(t.render(List.of(new ChatTurn("user", "ok")))).isEqualTo("<s>[INST] ok [/INST]1");
    }

    @Test
    @DisplayName("block tags on their own lines leave no whitespace behind (trim_blocks and lstrip_blocks, as Hugging Face renders)")
    void trimAndLstripBlocks() {
        assertThat(ENGINE.compile(BLOCKS, "", "").render(conversation())).isEqualTo("U:Hi\nU:  Why is the sky blue?  \n");
    }

    @Test
    @DisplayName("a compiled template is cached: the same source and tokens give the same instance")
    void cached() {
        assertThat(ENGINE.compile(CHATML, "", "<|im_end|>")).isSameAs(ENGINE.compile(CHATML, "", "<|im_end|>"));
        assertThat(ENGINE.compile(CHATML, "", "")).isNotSameAs(ENGINE.compile(CHATML, "", "<|im_end|>"));
    }

    @Test
    @DisplayName("templates that cannot be used are refused when compiled: an unclosed block, an unknown function, empty, too long")
    void invalid() {
        for (String bad : List.of("{% for message in messages %}{{ message['content'] }}", "{{ strftime_now('%d') }}{{ messages }}",
                " ", "x".repeat(64 * 1024 + 1))) {
            assertThatThrownBy(() -> ENGINE.compile(bad, "", ""), bad)
                    .isInstanceOfSatisfying(ChatTemplateException.class, e -> assertThat(e.kind()).isEqualTo(ChatTemplateException.Kind.INVALID));
        }
    }

    @Test
    @DisplayName("a render whose output would pass the limit stops with OUTPUT_TOO_LARGE")
    void outputBounded() {
        CompiledChatTemplate t = ENGINE.compile(CHATML, "", "");
        assertThatThrownBy(() -> t.render(List.of(new ChatTurn("user", "y".repeat(20_000)))))
                .isInstanceOfSatisfying(ChatTemplateException.class,
                        e -> assertThat(e.kind()).as(e.getMessage()).isEqualTo(ChatTemplateException.Kind.OUTPUT_TOO_LARGE));
    }

    @Test
    @DisplayName("a template that loops for long is stopped at its time budget (TIME_BUDGET), well before it would end, and the "
            + "next render on the thread is unaffected")
    void timeBounded() {
        // 10^9 node visits and no output: only the time budget can stop it. It renders the probe conversation only when
        // there are more than 3 messages, so it compiles.
        String spin = "{% if messages | length > 3 %}{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}"
                + "{% endfor %}{% endfor %}{% endfor %}{% endif %}{{ messages | length }}";
        CompiledChatTemplate t = ENGINE.compile(spin, "", "");
        long start = System.nanoTime();
        assertThatThrownBy(() -> t.render(conversation()))
                .isInstanceOfSatisfying(ChatTemplateException.class, e -> assertThat(e.kind()).isEqualTo(ChatTemplateException.Kind.TIME_BUDGET));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(t.render(List.of(new ChatTurn("user", "a")))).isEqualTo("1");
    }

    @Test
    @DisplayName("a template cannot reach Java: calling a method of the values it is given fails, so the template is refused")
    void noJavaReach() {
        assertThatThrownBy(() -> ENGINE.compile("{{ messages.getClass() }}{{ messages | length }}", "", ""))
                .isInstanceOfSatisfying(ChatTemplateException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ChatTemplateException.Kind.INVALID);
                    assertThat(e.getMessage()).contains("getClass");
                });
    }
}
