package io.sluice.enginesim;

import static io.sluice.enginesim.SimHttp.json;
import static io.sluice.enginesim.SimHttp.post;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Every protocol reads the sampling settings under its engine's own names, treats a default as not sent, and mixes the
 * rest into the deterministic stream by the documented key, so that a client (an adapter) forwarding them can be seen
 * to do so.
 */
@DisplayName("POOL-5 DET-1 sampling settings shape the simulator's deterministic stream")
class SamplingTest {
    private static final String PROMPT = "A gate";
    private EngineSimulator sim;

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

    private EngineSimulator start(EngineKind kind) {
        sim = EngineSimulator.start(InstanceSpec.of(kind).withTokensPerSecond(0));
        return sim;
    }

    private String expected(String key) {
        return String.join("", DeterministicText.pieces(9, PROMPT, sim.engineVersion(), sim.digest(), key, 6));
    }

    @Test
    @DisplayName("llama.cpp /completion: temperature, top_k, top_p, min_p, penalties and repeat_penalty; its defaults count as unset")
    void llamaCpp() {
        start(EngineKind.LLAMACPP);
        String body = "{\"prompt\":\"" + PROMPT + "\",\"n_predict\":6,\"seed\":9,%s}";
        HttpResponse<String> r = post(sim, "/completion", body.formatted(
                "\"temperature\":0.7,\"top_k\":20,\"top_p\":0.9,\"min_p\":0.1,\"presence_penalty\":0.3,\"frequency_penalty\":0.4,"
                        + "\"repeat_penalty\":1.2"));
        assertThat(json(r).get("content").asText()).isEqualTo(expected(
                "frequency_penalty=0.4;min_p=0.1;presence_penalty=0.3;repetition_penalty=1.2;temperature=0.7;top_k=20;top_p=0.9"));
        HttpResponse<String> defaults = post(sim, "/completion", body.formatted("\"temperature\":0.8,\"top_k\":40,\"top_p\":0.95"));
        assertThat(json(defaults).get("content").asText()).isEqualTo(expected(""));
    }

    @Test
    @DisplayName("vLLM /v1/completions: the OpenAI members plus top_k (-1 and 0 are off), min_p, repetition_penalty")
    void vllm() {
        start(EngineKind.VLLM);
        String body = "{\"model\":\"" + sim.model() + "\",\"prompt\":\"" + PROMPT + "\",\"max_tokens\":6,\"seed\":9,%s}";
        HttpResponse<String> r = post(sim, "/v1/completions", body.formatted("\"temperature\":0.7,\"top_k\":-1,\"repetition_penalty\":1.2"));
        assertThat(json(r).get("choices").get(0).get("text").asText()).isEqualTo(expected("repetition_penalty=1.2;temperature=0.7"));
        HttpResponse<String> off = post(sim, "/v1/completions", body.formatted("\"top_k\":0,\"temperature\":1.0"));
        assertThat(json(off).get("choices").get(0).get("text").asText()).isEqualTo(expected(""));
    }

    @Test
    @DisplayName("TGI /generate: do_sample and the members TGI has; TGI's own bounds answer 422")
    void tgi() {
        start(EngineKind.TGI);
        String body = "{\"inputs\":\"" + PROMPT + "\",\"parameters\":{\"max_new_tokens\":6,\"seed\":9,%s}}";
        HttpResponse<String> r = post(sim, "/generate", body.formatted("\"do_sample\":true,\"temperature\":0.7,\"top_k\":20"));
        assertThat(json(r).get("generated_text").asText()).isEqualTo(expected("do_sample=true;temperature=0.7;top_k=20"));
        for (String bad : new String[] {"\"temperature\":0", "\"top_k\":0", "\"top_p\":0", "\"frequency_penalty\":-2",
            "\"repetition_penalty\":0"}) {
            HttpResponse<String> refused = post(sim, "/generate", body.formatted(bad));
            assertThat(refused.statusCode()).as(bad).isEqualTo(422);
            assertThat(json(refused).get("error_type").asText()).isEqualTo("validation");
        }
    }

    @Test
    @DisplayName("Triton: vLLM backend members in parameters, TensorRT-LLM inputs at the top level (both generations of names)")
    void triton() {
        start(EngineKind.TRITON);
        String path = "/v2/models/" + sim.model() + "/generate";
        HttpResponse<String> params = post(sim, path, "{\"text_input\":\"" + PROMPT
                + "\",\"parameters\":{\"max_tokens\":6,\"seed\":9,\"temperature\":0.7,\"min_p\":0.1}}");
        assertThat(json(params).get("text_output").asText()).isEqualTo(expected("min_p=0.1;temperature=0.7"));
        HttpResponse<String> tensors = post(sim, path, "{\"text_input\":\"" + PROMPT
                + "\",\"max_tokens\":6,\"random_seed\":9,\"temperature\":0.7,\"runtime_top_k\":20}");
        assertThat(json(tensors).get("text_output").asText()).isEqualTo(expected("temperature=0.7;top_k=20"));
        JsonNode meta = json(SimHttp.get(sim, "/v2/models/" + sim.model()));
        assertThat(meta.get("inputs").findValuesAsText("name")).contains("temperature", "top_k", "top_p", "repetition_penalty")
                .doesNotContain("min_p");
    }
}
