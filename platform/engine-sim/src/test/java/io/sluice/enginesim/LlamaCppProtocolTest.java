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

@DisplayName("POOL-5 llama.cpp server protocol")
class LlamaCppProtocolTest {

    static EngineSimulator sim;

    @BeforeAll
    static void start() {
        sim = EngineSimulator.start(InstanceSpec.of(EngineKind.LLAMACPP).withSlots(3).withCtx(2048)
                .withTokensPerSecond(0));
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @Test
    @DisplayName("/completion stream: one data frame per token, then a stop frame with timings")
    void streamsTokenFramesThenFinalFrame() {
        HttpResponse<String> r = post(sim, "/completion",
                "{\"prompt\":\"Tell me about rivers\",\"n_predict\":6,\"stream\":true,\"seed\":42,\"cache_prompt\":true}");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/event-stream");
        assertThat(r.body()).startsWith("data: {");
        List<String> events = events(r.body());
        assertThat(events).hasSize(7);
        StringBuilder text = new StringBuilder();
        for (String e : events.subList(0, 6)) {
            JsonNode f = json(e);
            assertThat(f.get("stop").asBoolean()).isFalse();
            assertThat(f.get("content").isTextual()).isTrue();
            assertThat(f.get("id_slot").isInt()).isTrue();
            text.append(f.get("content").asText());
        }
        JsonNode last = json(events.get(6));
        assertThat(last.get("stop").asBoolean()).isTrue();
        assertThat(last.get("content").asText()).isEmpty();
        assertThat(last.get("tokens_predicted").asInt()).isEqualTo(6);
        assertThat(last.get("tokens_evaluated").asInt()).isEqualTo(DeterministicText.promptTokens("Tell me about rivers"));
        assertThat(last.get("stop_type").asText()).isEqualTo("limit");
        assertThat(last.get("stopped_limit").asBoolean()).isTrue();
        assertThat(last.get("model").asText()).isEqualTo("dev-tiny");
        assertThat(last.get("generation_settings").get("n_ctx").asInt()).isEqualTo(2048);
        assertThat(last.get("generation_settings").get("seed").asLong()).isEqualTo(42);
        JsonNode timings = last.get("timings");
        for (String field : List.of("prompt_n", "prompt_ms", "predicted_n", "predicted_ms", "predicted_per_second")) {
            assertThat(timings.has(field)).as(field).isTrue();
        }
        assertThat(timings.get("predicted_n").asInt()).isEqualTo(6);
        assertThat(text.toString())
                .isEqualTo(DeterministicText.text(42, "Tell me about rivers", "b4242", sim.digest(), 6));
    }

    @Test
    @DisplayName("/completion without stream answers one JSON with the whole content")
    void nonStreamingAnswersWholeContent() {
        HttpResponse<String> r = post(sim, "/completion", "{\"prompt\":\"abc\",\"n_predict\":4,\"seed\":3}");

        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = json(r);
        assertThat(body.get("stop").asBoolean()).isTrue();
        assertThat(body.get("content").asText()).isEqualTo(DeterministicText.text(3, "abc", "b4242", sim.digest(), 4));
        assertThat(body.get("tokens_predicted").asInt()).isEqualTo(4);
    }

    @Test
    @DisplayName("n_predict -1 generates until the slot context is full")
    void unboundedPredictStopsAtContext() {
        JsonNode body = json(post(sim, "/completion", "{\"prompt\":\"abcd\",\"n_predict\":-1}"));

        assertThat(body.get("tokens_predicted").asInt()).isEqualTo(2048 - 1);
        assertThat(body.get("stop_type").asText()).isEqualTo("limit");
    }

    @Test
    @DisplayName("/health, /props report status, ctx, slots, engine_version and digest")
    void healthAndProps() {
        HttpResponse<String> health = get(sim, "/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(json(health).get("status").asText()).isEqualTo("ok");

        JsonNode props = json(get(sim, "/props"));
        assertThat(props.get("default_generation_settings").get("n_ctx").asInt()).isEqualTo(2048);
        assertThat(props.get("total_slots").asInt()).isEqualTo(3);
        assertThat(props.get("build_info").asText()).isEqualTo("b4242-sim");
        assertThat(props.get("model_path").asText()).isEqualTo("/models/dev-tiny-" + sim.digest() + ".gguf");
    }

    @Test
    @DisplayName("/slots lists every slot with n_ctx and is_processing")
    void slotsListing() {
        JsonNode slots = json(get(sim, "/slots"));

        assertThat(slots).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(slots.get(i).get("id").asInt()).isEqualTo(i);
            assertThat(slots.get(i).get("n_ctx").asInt()).isEqualTo(2048);
            assertThat(slots.get(i).has("is_processing")).isTrue();
            assertThat(slots.get(i).has("id_task")).isTrue();
        }
    }

    @Test
    @DisplayName("/metrics is Prometheus text with llamacpp: names that count work done")
    void metricsCountTokens() {
        post(sim, "/completion", "{\"prompt\":\"count me\",\"n_predict\":5}");

        String metrics = get(sim, "/metrics").body();
        for (String name : List.of("llamacpp:prompt_tokens_total", "llamacpp:tokens_predicted_total",
                "llamacpp:requests_processing", "llamacpp:requests_deferred", "llamacpp:kv_cache_usage_ratio")) {
            assertThat(metrics).contains("# TYPE " + name + " ");
        }
        long predicted = metrics.lines()
                .filter(l -> l.startsWith("llamacpp:tokens_predicted_total "))
                .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(' ') + 1)))
                .findFirst()
                .orElseThrow();
        assertThat(predicted).isGreaterThanOrEqualTo(5);
    }

    @Test
    @DisplayName("a request without prompt gets a llama.cpp-shaped 400")
    void missingPromptIsRejected() {
        HttpResponse<String> r = post(sim, "/completion", "{\"n_predict\":3}");

        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("error").get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(json(r).get("error").get("code").asInt()).isEqualTo(400);
    }

    @Test
    @DisplayName("POOL-5 load_ms: /health and /completion answer 503 Loading model until loaded")
    void loadingAnswers503() {
        try (EngineSimulator loading = EngineSimulator.start(InstanceSpec.of(EngineKind.LLAMACPP).withLoadMs(60_000))) {
            HttpResponse<String> health = get(loading, "/health");
            assertThat(health.statusCode()).isEqualTo(503);
            JsonNode err = json(health).get("error");
            assertThat(err.get("code").asInt()).isEqualTo(503);
            assertThat(err.get("message").asText()).isEqualTo("Loading model");
            assertThat(err.get("type").asText()).isEqualTo("unavailable_error");

            HttpResponse<String> completion = post(loading, "/completion", "{\"prompt\":\"x\",\"n_predict\":1}");
            assertThat(completion.statusCode()).isEqualTo(503);
            assertThat(loading.stats().rejected()).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("POOL-5 /sim/info and describeJson give the ports-file entry of the instance")
    void simInfo() {
        JsonNode info = json(get(sim, "/sim/info"));

        assertThat(info.get("engine").asText()).isEqualTo("llamacpp");
        assertThat(info.get("port").asInt()).isEqualTo(sim.port());
        assertThat(info.get("url").asText()).isEqualTo(sim.url().toString());
        assertThat(info.get("engine_version").asText()).isEqualTo("b4242");
        assertThat(info.get("digest").asText()).isEqualTo(InstanceSpec.sha256Hex("dev-tiny"));
        assertThat(json(sim.describeJson())).isEqualTo(info);
    }
}
