package io.sluice.enginesim;

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

@DisplayName("POOL-5 Hugging Face TGI protocol")
class TgiProtocolTest {

    static EngineSimulator sim;

    @BeforeAll
    static void start() {
        sim = EngineSimulator.start(InstanceSpec.of(EngineKind.TGI).withTokensPerSecond(0).withCtx(512));
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @Test
    @DisplayName("/generate_stream: data:{index,token} frames; the last carries generated_text and details")
    void streamFrames() {
        HttpResponse<String> r = post(sim, "/generate_stream",
                "{\"inputs\":\"What is a sluice?\",\"parameters\":{\"max_new_tokens\":4,\"seed\":5,\"details\":true}}");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/event-stream");
        String[] blocks = r.body().split("\n\n");
        assertThat(blocks).hasSize(4);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            // TGI's router writes "data:" with no space before the JSON.
            assertThat(blocks[i]).startsWith("data:{");
            JsonNode f = json(blocks[i].substring(5));
            assertThat(f.get("index").asInt()).isEqualTo(i + 1);
            JsonNode token = f.get("token");
            assertThat(token.get("id").isInt()).isTrue();
            assertThat(token.get("logprob").isNumber()).isTrue();
            assertThat(token.get("special").asBoolean()).isFalse();
            text.append(token.get("text").asText());
            if (i < 3) {
                assertThat(f.get("generated_text").isNull()).isTrue();
                assertThat(f.get("details").isNull()).isTrue();
            } else {
                assertThat(f.get("generated_text").asText()).isEqualTo(text.toString());
                JsonNode details = f.get("details");
                assertThat(details.get("finish_reason").asText()).isEqualTo("length");
                assertThat(details.get("generated_tokens").asInt()).isEqualTo(4);
                assertThat(details.get("seed").asLong()).isEqualTo(5);
            }
        }
        assertThat(text.toString()).isEqualTo(DeterministicText.text(5, "What is a sluice?", "2.4.0", sim.digest(), 4));
    }

    @Test
    @DisplayName("details are left out of the last frame unless requested, as TGI does")
    void noDetailsUnlessRequested() {
        String body = post(sim, "/generate_stream", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":2}}").body();
        String[] blocks = body.split("\n\n");

        JsonNode last = json(blocks[blocks.length - 1].substring(5));
        assertThat(last.get("generated_text").isTextual()).isTrue();
        assertThat(last.get("details").isNull()).isTrue();
    }

    @Test
    @DisplayName("/generate answers generated_text and per-token details")
    void generate() {
        JsonNode body = json(post(sim, "/generate",
                "{\"inputs\":\"What is a sluice?\",\"parameters\":{\"max_new_tokens\":4,\"seed\":5,\"details\":true}}"));

        assertThat(body.get("generated_text").asText())
                .isEqualTo(DeterministicText.text(5, "What is a sluice?", "2.4.0", sim.digest(), 4));
        assertThat(body.get("details").get("finish_reason").asText()).isEqualTo("length");
        assertThat(body.get("details").get("tokens")).hasSize(4);
    }

    @Test
    @DisplayName("/health and /info report readiness, model_sha (digest), limits and version")
    void healthAndInfo() {
        assertThat(get(sim, "/health").statusCode()).isEqualTo(200);
        JsonNode info = json(get(sim, "/info"));

        assertThat(info.get("model_id").asText()).isEqualTo("dev-tiny");
        assertThat(info.get("model_sha").asText()).isEqualTo(sim.digest());
        assertThat(info.get("version").asText()).isEqualTo("2.4.0");
        assertThat(info.get("max_total_tokens").asInt()).isEqualTo(512);
        for (String field : List.of("max_input_tokens", "max_concurrent_requests")) {
            assertThat(info.get(field).isInt()).as(field).isTrue();
        }
    }

    @Test
    @DisplayName("invalid parameters answer 422 with error_type validation")
    void validation() {
        HttpResponse<String> zero = post(sim, "/generate", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":0}}");
        HttpResponse<String> tooLong = post(sim, "/generate", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":600}}");
        HttpResponse<String> noInputs = post(sim, "/generate", "{\"parameters\":{}}");

        for (HttpResponse<String> r : List.of(zero, tooLong, noInputs)) {
            assertThat(r.statusCode()).isEqualTo(422);
            assertThat(json(r).get("error_type").asText()).isEqualTo("validation");
        }
    }
}
