package io.sluice.benchmarks.chat;

import io.sluice.chattemplates.ChatTemplateEngine;
import io.sluice.chattemplates.ChatTurn;
import io.sluice.chattemplates.CompiledChatTemplate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ADM-9, ADR 0037: what rendering a model's chat template costs a chat completion request. The template is compiled
 * once (as the facade's cache keeps it); each operation renders one conversation of {@code turns} messages of about 200
 * characters each, as {@code ChatPrompts} does per request. {@code fixedFormat} is Sluice's own format (string
 * concatenation), the fallback and the cost before ADR 0037, measured side by side.
 */
@State(Scope.Thread)
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(1)
public class ChatTemplateBenchmark {
    /** ChatML, as the simulator reports it and many models ship it. */
    static final String CHATML = "{% for message in messages %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** Llama 3 shape with the branches real templates have (a system message taken out, a refusal, trim). */
    static final String LLAMA3 = """
            {% if messages[0]['role'] == 'system' %}
                {% set system = messages[0]['content'] | trim %}
                {% set loop_messages = messages[1:] %}
            {% else %}
                {% set system = '' %}
                {% set loop_messages = messages %}
            {% endif %}
            {{ bos_token }}
            {% if system != '' %}
                {{ '<|start_header_id|>system<|end_header_id|>\\n\\n' + system + '<|eot_id|>' }}
            {% endif %}
            {% for message in loop_messages %}
                {% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
                    {{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}
                {% endif %}
                {{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + (message['content'] | trim) + '<|eot_id|>' }}
            {% endfor %}
            {% if add_generation_prompt %}
                {{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
            {% endif %}""";

    @Param({"2", "8"})
    public int turns;

    private CompiledChatTemplate chatml;
    private CompiledChatTemplate llama3;
    private List<ChatTurn> conversation;

    @Setup(Level.Trial)
    public void compile() {
        ChatTemplateEngine engine = new ChatTemplateEngine(new ChatTemplateEngine.Limits(64 * 1024, 1_048_576, Duration.ofMillis(25), 64));
        chatml = engine.compile(CHATML, "", "<|im_end|>");
        llama3 = engine.compile(LLAMA3, "<|begin_of_text|>", "<|eot_id|>");
        conversation = new ArrayList<>();
        conversation.add(new ChatTurn("system", "You are a concise assistant. ".repeat(7)));
        for (int i = 1; i < turns; i++) {
            conversation.add(new ChatTurn(i % 2 == 1 ? "user" : "assistant", ("Message " + i + " about rivers and sluices. ").repeat(6)));
        }
    }

    @Benchmark
    public String chatml() {
        return chatml.render(conversation);
    }

    @Benchmark
    public String llama3() {
        return llama3.render(conversation);
    }

    @Benchmark
    public String fixedFormat() {
        StringBuilder sb = new StringBuilder(256);
        for (ChatTurn t : conversation) {
            sb.append("<|").append(t.role()).append("|>\n").append(t.content()).append('\n');
        }
        return sb.append("<|assistant|>\n").toString();
    }
}
