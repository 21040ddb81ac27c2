package io.sluice.enginesim;

import static io.sluice.enginesim.SimHttp.events;
import static io.sluice.enginesim.SimHttp.get;
import static io.sluice.enginesim.SimHttp.json;
import static io.sluice.enginesim.SimHttp.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("POOL-5 vLLM OpenAI-compatible protocol")
class VllmProtocolTest {

    static EngineSimulator sim;

    @BeforeAll
    static void start() {
        sim = EngineSimulator.start(InstanceSpec.of(EngineKind.VLLM).withModel("tiny-chat").withTokensPerSecond(0)
                .withCtx(1024));
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @Test
    @DisplayName("/v1/completions stream: text_completion chunks, finish_reason length on the last, then [DONE]")
    void streamsChunksThenDone() {
        HttpResponse<String> r = post(sim, "/v1/completions",
                "{\"model\":\"tiny-chat\",\"prompt\":\"Once upon\",\"max_tokens\":5,\"stream\":true,\"seed\":9,\"temperature\":0.7}");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
        List<String> events = events(r.body());
        assertThat(events).hasSize(6);
        assertThat(events.get(5)).isEqualTo("[DONE]");
        StringBuilder text = new StringBuilder();
        String id = null;
        for (int i = 0; i < 5; i++) {
            JsonNode chunk = json(events.get(i));
            assertThat(chunk.get("object").asText()).isEqualTo("text_completion");
            assertThat(chunk.get("id").asText()).startsWith("cmpl-");
            assertThat(chunk.get("model").asText()).isEqualTo("tiny-chat");
            assertThat(chunk.get("created").isNumber()).isTrue();
            if (id != null) {
                assertThat(chunk.get("id").asText()).isEqualTo(id);
            }
            id = chunk.get("id").asText();
            JsonNode choice = chunk.get("choices").get(0);
            assertThat(choice.get("index").asInt()).isZero();
            assertThat(choice.get("logprobs").isNull()).isTrue();
            if (i < 4) {
                assertThat(choice.get("finish_reason").isNull()).isTrue();
            } else {
                assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
            }
            text.append(choice.get("text").asText());
        }
        // temperature 0.7 is not vLLM's default (1.0): it is part of the stream's identity.
        assertThat(text.toString()).isEqualTo(String.join("", DeterministicText.pieces(9, "Once upon", "0.6.3", sim.digest(),
                "temperature=0.7", 5)));
    }

    @Test
    @DisplayName("stream_options.include_usage adds a usage chunk with no choices before [DONE]")
    void includeUsageChunk() {
        List<String> events = events(post(sim, "/v1/completions",
                "{\"model\":\"tiny-chat\",\"prompt\":\"abcdefgh\",\"max_tokens\":2,\"stream\":true,"
                        + "\"stream_options\":{\"include_usage\":true}}").body());

        assertThat(events).hasSize(4);
        JsonNode usageChunk = json(events.get(2));
        assertThat(usageChunk.get("choices")).isEmpty();
        assertThat(usageChunk.get("usage").get("prompt_tokens").asInt()).isEqualTo(2);
        assertThat(usageChunk.get("usage").get("completion_tokens").asInt()).isEqualTo(2);
        assertThat(events.get(3)).isEqualTo("[DONE]");
    }

    @Test
    @DisplayName("non-streaming completion carries the text, finish_reason and usage")
    void nonStreaming() {
        JsonNode body = json(post(sim, "/v1/completions",
                "{\"model\":\"tiny-chat\",\"prompt\":\"Once upon\",\"max_tokens\":5,\"seed\":9}"));

        assertThat(body.get("object").asText()).isEqualTo("text_completion");
        assertThat(body.get("choices").get(0).get("text").asText())
                .isEqualTo(DeterministicText.text(9, "Once upon", "0.6.3", sim.digest(), 5));
        assertThat(body.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
        JsonNode usage = body.get("usage");
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(5);
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(usage.get("prompt_tokens").asInt() + 5);
    }

    @Test
    @DisplayName("max_tokens defaults to 16 as in vLLM")
    void defaultMaxTokens() {
        JsonNode body = json(post(sim, "/v1/completions", "{\"model\":\"tiny-chat\",\"prompt\":\"x\"}"));

        assertThat(body.get("usage").get("completion_tokens").asInt()).isEqualTo(16);
    }

    @Test
    @DisplayName("/health, /version and /v1/models report readiness, engine_version, model and digest")
    void healthVersionModels() {
        HttpResponse<String> health = get(sim, "/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEmpty();
        assertThat(json(get(sim, "/version")).get("version").asText()).isEqualTo("0.6.3");

        JsonNode models = json(get(sim, "/v1/models"));
        assertThat(models.get("object").asText()).isEqualTo("list");
        JsonNode m = models.get("data").get(0);
        assertThat(m.get("id").asText()).isEqualTo("tiny-chat");
        assertThat(m.get("root").asText()).isEqualTo("/models/tiny-chat-" + sim.digest());
        assertThat(m.get("max_model_len").asInt()).isEqualTo(1024);
    }

    @Test
    @DisplayName("unknown model answers 404 with an OpenAI-style error")
    void unknownModel() {
        HttpResponse<String> r = post(sim, "/v1/completions", "{\"model\":\"other\",\"prompt\":\"x\",\"max_tokens\":1}");

        assertThat(r.statusCode()).isEqualTo(404);
        JsonNode err = json(r);
        assertThat(err.get("object").asText()).isEqualTo("error");
        assertThat(err.get("type").asText()).isEqualTo("NotFoundError");
        assertThat(err.get("code").asInt()).isEqualTo(404);
        assertThat(err.get("message").asText()).contains("other");
    }

    @Test
    @DisplayName("prompt plus max_tokens beyond the context answers 400")
    void contextOverflow() {
        HttpResponse<String> r = post(sim, "/v1/completions", "{\"model\":\"tiny-chat\",\"prompt\":\"x\",\"max_tokens\":5000}");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("type").asText()).isEqualTo("BadRequestError");
        assertThat(json(r).get("message").asText()).contains("maximum context length is 1024");
    }

    @Test
    @DisplayName("POOL-5 /health answers 503 while the model loads")
    void loading() {
        try (EngineSimulator loading = EngineSimulator.start(InstanceSpec.of(EngineKind.VLLM).withLoadMs(60_000))) {
            assertThat(get(loading, "/health").statusCode()).isEqualTo(503);
            HttpResponse<String> r = post(loading, "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1}");
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(json(r).get("object").asText()).isEqualTo("error");
        }
    }
}
