package io.sluice.enginesim;

import static io.sluice.enginesim.SimHttp.events;
import static io.sluice.enginesim.SimHttp.get;
import static io.sluice.enginesim.SimHttp.json;
import static io.sluice.enginesim.SimHttp.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("POOL-5 NVIDIA Triton generate and repository protocol")
class TritonProtocolTest {

    private static EngineSimulator start() {
        return EngineSimulator.start(InstanceSpec.of(EngineKind.TRITON).withModel("llm").withTokensPerSecond(0));
    }

    @Test
    @DisplayName("generate_stream sends one data frame with text_output per token and then closes")
    void streamFrames() {
        try (EngineSimulator sim = start()) {
            HttpResponse<String> r = post(sim, "/v2/models/llm/generate_stream",
                    "{\"text_input\":\"Describe a gate\",\"parameters\":{\"max_tokens\":5,\"seed\":11,\"stream\":true}}");

            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
            List<String> events = events(r.body());
            assertThat(events).hasSize(5);
            StringBuilder text = new StringBuilder();
            for (String e : events) {
                JsonNode f = json(e);
                assertThat(f.get("model_name").asText()).isEqualTo("llm");
                assertThat(f.get("model_version").asText()).isEqualTo("1");
                text.append(f.get("text_output").asText());
            }
            assertThat(text.toString())
                    .isEqualTo(DeterministicText.text(11, "Describe a gate", "2.51.0", sim.digest(), 5));
        }
    }

    @Test
    @DisplayName("generate answers the whole text_output; top-level max_tokens and versioned path work")
    void generateNonStreaming() {
        try (EngineSimulator sim = start()) {
            JsonNode a = json(post(sim, "/v2/models/llm/generate",
                    "{\"text_input\":\"Describe a gate\",\"parameters\":{\"max_tokens\":5,\"seed\":11}}"));
            JsonNode b = json(post(sim, "/v2/models/llm/versions/1/generate",
                    "{\"text_input\":\"Describe a gate\",\"max_tokens\":5,\"seed\":11}"));

            assertThat(a.get("text_output").asText())
                    .isEqualTo(DeterministicText.text(11, "Describe a gate", "2.51.0", sim.digest(), 5));
            assertThat(b).isEqualTo(a);
        }
    }

    @Test
    @DisplayName("server and model metadata, readiness, config with the digest")
    void metadata() {
        try (EngineSimulator sim = start()) {
            JsonNode server = json(get(sim, "/v2"));
            assertThat(server.get("name").asText()).isEqualTo("triton");
            assertThat(server.get("version").asText()).isEqualTo("2.51.0");
            assertThat(get(sim, "/v2/health/live").statusCode()).isEqualTo(200);
            assertThat(get(sim, "/v2/health/ready").statusCode()).isEqualTo(200);
            assertThat(get(sim, "/v2/models/llm/ready").statusCode()).isEqualTo(200);

            JsonNode model = json(get(sim, "/v2/models/llm"));
            assertThat(model.get("name").asText()).isEqualTo("llm");
            assertThat(model.get("versions").get(0).asText()).isEqualTo("1");
            assertThat(model.get("inputs").findValuesAsText("name")).contains("text_input");
            assertThat(model.get("outputs").findValuesAsText("name")).contains("text_output");

            JsonNode config = json(get(sim, "/v2/models/llm/config"));
            assertThat(config.at("/parameters/model_digest/string_value").asText()).isEqualTo(sim.digest());
        }
    }

    @Test
    @DisplayName("unknown model answers 404 {error}")
    void unknownModel() {
        try (EngineSimulator sim = start()) {
            HttpResponse<String> meta = get(sim, "/v2/models/nope");
            HttpResponse<String> gen = post(sim, "/v2/models/nope/generate", "{\"text_input\":\"x\"}");

            for (HttpResponse<String> r : List.of(meta, gen)) {
                assertThat(r.statusCode()).isEqualTo(404);
                assertThat(json(r).get("error").asText()).contains("unknown model: 'nope'");
            }
            assertThat(get(sim, "/v2/models/nope/ready").statusCode()).isEqualTo(400);
        }
    }

    @Test
    @DisplayName("unload makes the model unavailable; load brings it back")
    void unloadAndLoad() {
        try (EngineSimulator sim = start()) {
            assertThat(post(sim, "/v2/repository/models/llm/unload", "").statusCode()).isEqualTo(200);

            assertThat(get(sim, "/v2/models/llm/ready").statusCode()).isEqualTo(400);
            assertThat(get(sim, "/v2/health/ready").statusCode()).isEqualTo(400);
            HttpResponse<String> gen = post(sim, "/v2/models/llm/generate", "{\"text_input\":\"x\"}");
            assertThat(gen.statusCode()).isEqualTo(404);
            assertThat(json(gen).get("error").asText()).contains("has no available versions");
            JsonNode index = json(post(sim, "/v2/repository/index", "{}"));
            assertThat(index.get(0).get("state").asText()).isEqualTo("UNAVAILABLE");
            assertThat(index.get(0).get("reason").asText()).isEqualTo("unloaded");

            assertThat(post(sim, "/v2/repository/models/llm/load", "").statusCode()).isEqualTo(200);
            assertThat(get(sim, "/v2/models/llm/ready").statusCode()).isEqualTo(200);
            assertThat(post(sim, "/v2/models/llm/generate", "{\"text_input\":\"x\"}").statusCode()).isEqualTo(200);
            assertThat(json(post(sim, "/v2/repository/index", "{}")).get(0).get("state").asText()).isEqualTo("READY");
        }
    }

    @Test
    @DisplayName("POOL-5 load honours load_ms: the model is LOADING and not ready until it has elapsed")
    void loadHonoursLoadMs() {
        try (EngineSimulator sim = EngineSimulator.start(InstanceSpec.of(EngineKind.TRITON).withModel("llm")
                .withLoadMs(60_000))) {
            assertThat(get(sim, "/v2/health/ready").statusCode()).isEqualTo(400);
            assertThat(get(sim, "/v2/health/live").statusCode()).isEqualTo(200);
            assertThat(json(post(sim, "/v2/repository/index", "{}")).get(0).get("state").asText()).isEqualTo("LOADING");

            post(sim, "/v2/repository/models/llm/unload", "");
            CompletableFuture<HttpResponse<String>> load = SimHttp.CLIENT.sendAsync(
                    HttpRequest.newBuilder(sim.url().resolve("/v2/repository/models/llm/load"))
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            SimHttp.await("model LOADING after load request", () -> json(post(sim, "/v2/repository/index", "{}"))
                    .get(0).get("state").asText().equals("LOADING"));
            assertThat(load).isNotDone();
            assertThat(get(sim, "/v2/models/llm/ready").statusCode()).isEqualTo(400);
        }
    }

    @Test
    @DisplayName("POOL-5 refuse_load fault: load answers 400 {error} and the model stays unavailable")
    void refuseLoad() {
        try (EngineSimulator sim = start()) {
            post(sim, "/v2/repository/models/llm/unload", "");
            assertThat(post(sim, "/sim/faults", "{\"mode\":\"refuse_load\",\"count\":1}").statusCode()).isEqualTo(200);

            HttpResponse<String> load = post(sim, "/v2/repository/models/llm/load", "");
            assertThat(load.statusCode()).isEqualTo(400);
            assertThat(json(load).get("error").asText()).contains("failed to load 'llm'");
            assertThat(get(sim, "/v2/health/ready").statusCode()).isEqualTo(400);
            assertThat(json(post(sim, "/v2/repository/index", "{}")).get(0).get("state").asText())
                    .isEqualTo("UNAVAILABLE");

            // count was 1: the next load succeeds.
            assertThat(post(sim, "/v2/repository/models/llm/load", "").statusCode()).isEqualTo(200);
            assertThat(get(sim, "/v2/health/ready").statusCode()).isEqualTo(200);
        }
    }

    @Test
    @DisplayName("POOL-5 refuse_load preset on the command line: the initial load fails")
    void refuseLoadPreset() {
        try (EngineSimulator sim = EngineSimulator.start(
                InstanceSpec.parse("engine=triton,model=llm,fault=refuse_load,fault_count=-1"))) {
            assertThat(get(sim, "/v2/health/ready").statusCode()).isEqualTo(400);
            assertThat(post(sim, "/v2/repository/models/llm/load", "").statusCode()).isEqualTo(400);

            assertThat(SimHttp.delete(sim, "/sim/faults").statusCode()).isEqualTo(200);
            assertThat(post(sim, "/v2/repository/models/llm/load", "").statusCode()).isEqualTo(200);
            assertThat(get(sim, "/v2/health/ready").statusCode()).isEqualTo(200);
        }
    }
}
