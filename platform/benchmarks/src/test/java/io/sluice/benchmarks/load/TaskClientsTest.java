package io.sluice.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.benchmarks.load.DirectEngineClient.FrameKind;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class TaskClientsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theTaskBodyHasTheContractFields() throws Exception {
        JsonNode body = JSON.readTree(SluiceTaskClient.taskBody("t-1", "s-1", 64));
        assertThat(body.path("task_id").asText()).isEqualTo("t-1");
        assertThat(body.path("session_id").asText()).isEqualTo("s-1");
        assertThat(body.path("workload").asText()).isEqualTo("completion");
        assertThat(body.path("model_ref").asText()).isEqualTo("dev-tiny");
        assertThat(body.path("max_tokens").asInt()).isEqualTo(64);
        assertThat(body.has("prompt")).isTrue();
        assertThat(body.has("deadline_ms")).isTrue();
    }

    @Test
    void theDirectBodyAsksForTheSameGenerationAsSluicesAdapter() throws Exception {
        JsonNode body = JSON.readTree(DirectEngineClient.completionBody(7, 16));
        assertThat(body.path("n_predict").asInt()).isEqualTo(16);
        assertThat(body.path("stream").asBoolean()).isTrue();
        assertThat(body.path("seed").asLong()).isEqualTo(7);
    }

    @Test
    void classifiesLlamaCppFrames() {
        assertThat(DirectEngineClient.classify("{\"content\":\" the\",\"id_slot\":0,\"stop\":false}")).isEqualTo(FrameKind.TOKEN);
        assertThat(DirectEngineClient.classify("{\"content\":\"\",\"stop\":true,\"tokens_predicted\":16}")).isEqualTo(FrameKind.END);
        assertThat(DirectEngineClient.classify("{\"something\":1}")).isEqualTo(FrameKind.OTHER);
    }

    @Test
    void errorsAreCountedByTheirTypedCode() {
        assertThat(SluiceTaskClient.errorCode(Buffer.buffer("{\"code\":\"ADMISSION_REJECT\",\"message\":\"full\",\"retriable\":true}")))
                .isEqualTo("ADMISSION_REJECT");
        assertThat(SluiceTaskClient.errorCode(Buffer.buffer("<html>"))).isEqualTo("(not JSON)");
        assertThat(SluiceTaskClient.errorCode(Buffer.buffer("{}"))).isEqualTo("(no code)");
    }

    @Test
    void theFacadeBodyIsAStreamedCompletionOfTheSameGeneration() throws Exception {
        JsonNode body = JSON.readTree(OpenAiTaskClient.body(64));
        assertThat(body.path("model").asText()).isEqualTo("dev-tiny");
        assertThat(body.path("max_tokens").asInt()).isEqualTo(64);
        assertThat(body.path("stream").asBoolean()).isTrue();
        assertThat(body.path("prompt").asText()).isEqualTo("Hello, Sluice");
    }

    @Test
    void countsFacadeChunksThatCarryText() {
        assertThat(OpenAiTaskClient.carriesText("{\"id\":\"c\",\"choices\":[{\"text\":\" the\",\"index\":0,\"finish_reason\":null}]}")).isTrue();
        assertThat(OpenAiTaskClient.carriesText("{\"id\":\"c\",\"choices\":[{\"text\":\"\",\"index\":0,\"finish_reason\":\"length\"}]}"))
                .isFalse();
        assertThat(OpenAiTaskClient.carriesText("{\"id\":\"c\",\"usage\":{\"completion_tokens\":16}}")).isFalse();
    }
}
