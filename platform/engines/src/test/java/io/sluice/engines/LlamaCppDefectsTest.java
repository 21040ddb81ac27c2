package io.sluice.engines;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.config.SluiceConfig;
import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineException;
import io.sluice.core.engine.GenerationOutcome;
import io.sluice.core.engine.GenerationOutcome.StopReason;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.task.EngineKind;
import io.sluice.enginesim.DeterministicText;
import io.sluice.enginesim.EngineSimulator;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What a real llama-server showed and the adapter used to get wrong, reproduced by the simulator. */
@DisplayName("POOL-4 llama.cpp protocol facts")
class LlamaCppDefectsTest {
    private EngineSimulator sim;

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

    private EngineAdapter start(io.sluice.enginesim.InstanceSpec spec, EngineOptions options) {
        sim = EngineSimulator.start(spec);
        return SimSupport.adapter(EngineKind.LLAMACPP, sim, options);
    }

    @Test
    @DisplayName("token counts come from tokens_predicted: frames held back for multi-byte characters undercount")
    void countsComeFromTheEngine() {
        EngineAdapter adapter = start(SimSupport.spec(EngineKind.LLAMACPP).withUtf8Holdback(true), EngineOptions.DEFAULTS);
        SimSupport.Recorder r = new SimSupport.Recorder();
        adapter.generate(SimSupport.request("Write about water", 300, 9), r);
        GenerationOutcome o = r.outcome();
        String expected = DeterministicText.text(9, "Write about water", sim.engineVersion(), sim.digest(), 300);
        assertThat(expected).as("the stream must contain non-ASCII pieces for this test to mean anything")
                .matches("(?s).*[^\\x00-\\x7f].*");
        assertThat(r.text()).isEqualTo(expected);
        assertThat(o.tokensOut()).isEqualTo(300);
        assertThat(r.tokens.size()).isLessThan(300);
        assertThat(o.promptTokens()).isPositive();
    }

    @Test
    @DisplayName("a prompt over the context is a typed, non-retriable INVALID_PARAMS with the engine's message, never the prompt")
    void promptOverContextIsRejected() {
        EngineAdapter adapter = start(SimSupport.spec(EngineKind.LLAMACPP).withCtx(32), EngineOptions.DEFAULTS);
        String prompt = "secret-prompt-text ".repeat(20);
        SimSupport.Recorder r = new SimSupport.Recorder();
        adapter.generate(SimSupport.request(prompt, 10, 1), r);
        EngineException e = r.error();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARAMS);
        assertThat(e.code().retriable()).isFalse();
        assertThat(e.engineStatus()).isEqualTo(400);
        assertThat(e.engineErrorType()).isEqualTo("exceed_context_size_error");
        assertThat(e.getMessage()).contains("exceeds the available context size").doesNotContain("secret-prompt-text");
        assertThat(r.terminals.get()).isEqualTo(1);
    }

    @Test
    @DisplayName("a run cut by the context window ends as CONTEXT_LIMIT / truncated, not as plain success")
    void contextLimitedRunIsSurfaced() {
        EngineAdapter adapter = start(SimSupport.spec(EngineKind.LLAMACPP).withCtx(40), EngineOptions.DEFAULTS);
        SimSupport.Recorder r = new SimSupport.Recorder();
        adapter.generate(SimSupport.request("0123456789abcdef", 100, 1), r); // 4 prompt tokens, 36 left
        GenerationOutcome o = r.outcome();
        assertThat(o.stopReason()).isEqualTo(StopReason.CONTEXT_LIMIT);
        assertThat(o.truncated()).isTrue();
        assertThat(o.incomplete()).isTrue();
        assertThat(o.tokensOut()).isEqualTo(36);
    }

    @Test
    @DisplayName("DET-1 seeds: 0xFFFFFFFF would be random on llama.cpp; the adapter maps it to a fixed 32-bit seed")
    void seedsStayDeterministic() throws Exception {
        EngineAdapter adapter = start(SimSupport.spec(EngineKind.LLAMACPP), EngineOptions.DEFAULTS);
        // The engine itself: the marker seed gives a different stream each time.
        String a = rawCompletion(0xFFFF_FFFFL);
        String b = rawCompletion(0xFFFF_FFFFL);
        assertThat(a).isNotEqualTo(b);

        for (long seed : new long[] {0xFFFF_FFFFL, -1L, Long.MIN_VALUE, 1L << 40}) {
            SimSupport.Recorder r1 = new SimSupport.Recorder();
            SimSupport.Recorder r2 = new SimSupport.Recorder();
            adapter.generate(SimSupport.request("seeded", 30, seed), r1);
            adapter.generate(SimSupport.request("seeded", 30, seed), r2);
            r1.outcome();
            r2.outcome();
            assertThat(r1.text()).as("seed %d", seed).isEqualTo(r2.text());
            assertThat(r1.text()).isEqualTo(DeterministicText.text(Seeds.llamaCpp(seed), "seeded", sim.engineVersion(), sim.digest(), 30));
        }
        // Small seeds pass unchanged, so a task reproduces a direct call with the same seed.
        assertThat(Seeds.llamaCpp(42)).isEqualTo(42);
        assertThat(Seeds.llamaCpp(0xFFFF_FFFFL)).isNotEqualTo(Seeds.LLAMACPP_RANDOM);
    }

    private String rawCompletion(long seed) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(sim.url().resolve("/completion"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"seeded\",\"n_predict\":30,\"seed\":" + seed + "}"))
                .build();
        HttpResponse<String> resp = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(resp.statusCode()).isEqualTo(200);
        return HttpEngineAdapter.JSON.readTree(resp.body()).path("content").asText();
    }

    @Test
    @DisplayName("the model's chat template comes from /props (chat_template, bos_token, eos_token) at each probe; an empty one is none")
    void chatTemplateFromProps() throws Exception {
        EngineAdapter adapter = start(SimSupport.spec(EngineKind.LLAMACPP).withChatTemplate(io.sluice.enginesim.SimChatTemplate.LLAMA3),
                EngineOptions.DEFAULTS);
        assertThat(adapter.chatTemplate()).as("nothing is known before the first probe").isNull();
        SimSupport.probe(adapter);
        assertThat(adapter.chatTemplate().template()).isEqualTo(io.sluice.enginesim.SimChatTemplate.LLAMA3.template())
                .contains("<|start_header_id|>");
        assertThat(adapter.chatTemplate().bosToken()).isEqualTo("<|begin_of_text|>");
        assertThat(adapter.chatTemplate().eosToken()).isEqualTo("<|eot_id|>");
        sim.close();
        EngineAdapter plain = start(SimSupport.spec(EngineKind.LLAMACPP), EngineOptions.DEFAULTS);
        SimSupport.probe(plain);
        assertThat(plain.chatTemplate()).isNull();
    }

    @Test
    @DisplayName("readiness does not need /slots, which operators disable (it answers 501)")
    void readinessWithoutSlots() throws Exception {
        EngineAdapter adapter = start(SimSupport.spec(EngineKind.LLAMACPP).withSlotsEndpoint(false), EngineOptions.DEFAULTS);
        var p = SimSupport.probe(adapter);
        assertThat(p.slots()).isEqualTo(2);
        assertThat(p.busySlots()).isEqualTo(-1);
        HttpResponse<String> slots = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(sim.url().resolve("/slots")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(slots.statusCode()).isEqualTo(501);
    }

    @Test
    @DisplayName("a server started with --api-key works with the replica's key; without it the replica is unavailable, the key never echoed")
    void apiKey() throws Exception {
        String key = "k-7f3a9c1e-never-log-me";
        EngineAdapter withKey = start(SimSupport.spec(EngineKind.LLAMACPP).withApiKey(key), EngineOptions.DEFAULTS.withApiKey(key));
        SimSupport.probe(withKey);
        SimSupport.Recorder ok = new SimSupport.Recorder();
        withKey.generate(SimSupport.request("Hello", 5, 1), ok);
        assertThat(ok.outcome().tokensOut()).isEqualTo(5);

        EngineAdapter without = SimSupport.adapter(EngineKind.LLAMACPP, sim, EngineOptions.DEFAULTS.withApiKey("wrong-key-123"));
        assertThat(without.probe()).failsWithin(SimSupport.WAIT).withThrowableThat().havingCause()
                .isInstanceOfSatisfying(EngineException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.POOL_UNAVAILABLE);
                    assertThat(e.getMessage()).contains("api_key").doesNotContain("wrong-key-123");
                });
        SimSupport.Recorder denied = new SimSupport.Recorder();
        without.generate(SimSupport.request("Hello", 5, 1), denied);
        assertThat(denied.error().code()).isEqualTo(ErrorCode.POOL_UNAVAILABLE);

        assertThat(EngineOptions.DEFAULTS.withApiKey(key).toString()).doesNotContain(key);
        assertThat(new SluiceConfig.ReplicaConfig("r0", "http://x", null, key).toString()).doesNotContain(key);
    }

    @Test
    @DisplayName("vLLM --api-key: the key is sent as a bearer token on /v1 paths")
    void vllmApiKey() throws Exception {
        String key = "vllm-key-42";
        sim = EngineSimulator.start(SimSupport.spec(EngineKind.VLLM).withApiKey(key));
        EngineAdapter a = SimSupport.adapter(EngineKind.VLLM, sim, EngineOptions.DEFAULTS.withApiKey(key));
        SimSupport.probe(a);
        SimSupport.Recorder r = new SimSupport.Recorder();
        a.generate(SimSupport.request("Hello", 5, 1), r);
        assertThat(r.outcome().tokensOut()).isEqualTo(5);
        EngineAdapter none = SimSupport.adapter(EngineKind.VLLM, sim, EngineOptions.DEFAULTS);
        SimSupport.Recorder denied = new SimSupport.Recorder();
        none.generate(SimSupport.request("Hello", 5, 1), denied);
        assertThat(denied.error().code()).isEqualTo(ErrorCode.POOL_UNAVAILABLE);
    }
}
