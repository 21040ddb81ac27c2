package io.sluice.enginesim;

import static io.sluice.enginesim.SimHttp.get;
import static io.sluice.enginesim.SimHttp.json;
import static io.sluice.enginesim.SimHttp.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The chat template llama.cpp reports in /props, and the prompts an instance received (ADR 0037). */
class ChatTemplateAndPromptsTest {

    @Test
    @DisplayName("chat_template=chatml or llama3 reports that template with its bos_token and eos_token in /props; none reports an empty one")
    void propsReportTheTemplate() {
        try (EngineSimulator sim = EngineSimulator.start(InstanceSpec.parse("engine=llamacpp,port=0,chat_template=llama3"))) {
            JsonNode props = json(get(sim, "/props"));
            assertThat(props.get("chat_template").asText()).isEqualTo(SimChatTemplate.LLAMA3.template())
                    .contains("{% for message in messages %}").contains("add_generation_prompt");
            assertThat(props.get("bos_token").asText()).isEqualTo("<|begin_of_text|>");
            assertThat(props.get("eos_token").asText()).isEqualTo("<|eot_id|>");
        }
        try (EngineSimulator sim = EngineSimulator.start(InstanceSpec.parse("engine=llamacpp,port=0,chat_template=chatml"))) {
            assertThat(json(get(sim, "/props")).get("chat_template").asText()).contains("<|im_start|>");
        }
        try (EngineSimulator sim = EngineSimulator.start(InstanceSpec.of(EngineKind.LLAMACPP))) {
            JsonNode props = json(get(sim, "/props"));
            assertThat(props.get("chat_template").asText()).isEmpty();
            assertThat(props.has("bos_token")).isFalse();
        }
        assertThatThrownBy(() -> InstanceSpec.parse("engine=llamacpp,chat_template=alpaca")).hasMessageContaining("chat_template");
    }

    @Test
    @DisplayName("GET /sim/prompts lists the prompts of the last 64 generation requests, oldest first")
    void promptsAreRecorded() {
        try (EngineSimulator sim = EngineSimulator.start(InstanceSpec.of(EngineKind.LLAMACPP).withTokensPerSecond(0))) {
            for (int i = 0; i < 70; i++) {
                assertThat(post(sim, "/completion", "{\"prompt\":\"p" + i + "\\n<|x|>\",\"n_predict\":1}").statusCode()).isEqualTo(200);
            }
            List<String> prompts = new ArrayList<>();
            json(get(sim, "/sim/prompts")).get("prompts").forEach(p -> prompts.add(p.asText()));
            assertThat(prompts).hasSize(64).startsWith("p6\n<|x|>").endsWith("p69\n<|x|>");
        }
    }
}
