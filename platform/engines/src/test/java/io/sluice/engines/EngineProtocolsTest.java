package io.sluice.engines;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.engine.GenerationOutcome;
import io.sluice.core.engine.GenerationOutcome.StopReason;
import io.sluice.core.task.EngineKind;
import io.sluice.enginesim.DeterministicText;
import io.sluice.enginesim.EngineSimulator;
import io.sluice.enginesim.InstanceSpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each adapter speaks its engine's protocol: probe, a streamed generation byte-identical to the engine's text. */
@DisplayName("POOL-4 DET-1 engine protocols")
class EngineProtocolsTest {
    private EngineSimulator sim;

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

    @ParameterizedTest
    @EnumSource(EngineKind.class)
    @DisplayName("probe reports what the engine serves, and a stream yields the engine's exact text and count")
    void streamsTheEnginesText(EngineKind kind) throws Exception {
        sim = EngineSimulator.start(SimSupport.spec(kind));
        EngineAdapter adapter = SimSupport.adapter(kind, sim, EngineOptions.DEFAULTS);
        assertThat(adapter.kind()).isEqualTo(kind);

        EngineProbe p = SimSupport.probe(adapter);
        assertThat(p.engineVersion()).isNotBlank();
        assertThat(p.ctxMax()).isEqualTo(InstanceSpec.DEFAULT_CTX - (kind == EngineKind.TGI ? 0 : 0));
        if (kind != EngineKind.VLLM) {
            assertThat(p.modelDigest()).isEqualTo(sim.digest());
        }

        SimSupport.Recorder r = new SimSupport.Recorder();
        adapter.generate(SimSupport.request("Hello", 24, 7), r);
        GenerationOutcome o = r.outcome();
        assertThat(r.text()).isEqualTo(DeterministicText.text(7, "Hello", sim.engineVersion(), sim.digest(), 24));
        assertThat(r.terminals.get()).isEqualTo(1);
        assertThat(r.started.get()).isEqualTo(1);
        if (kind == EngineKind.TRITON) {
            // Triton's generate extension reports no count: the scheduler keeps its own.
            assertThat(o.tokensOut()).isEqualTo(-1);
        } else {
            assertThat(o.tokensOut()).isEqualTo(24);
            assertThat(o.stopReason()).isEqualTo(StopReason.MAX_TOKENS);
        }
        assertThat(o.incomplete()).isFalse();
        SimSupport.await("slot freed after the end", () -> sim.stats().active() == 0 && sim.stats().completed() == 1);
    }

    @Test
    @DisplayName("SCH-6 Triton's probe reports the GPUs its KIND_GPU instance groups list; a KIND_MODEL group names none")
    void tritonReportsItsGpus() throws Exception {
        sim = EngineSimulator.start(SimSupport.spec(EngineKind.TRITON).withGpus(java.util.List.of(3, 2)));
        EngineProbe pinned = SimSupport.probe(SimSupport.adapter(EngineKind.TRITON, sim, EngineOptions.DEFAULTS));
        assertThat(pinned.gpus()).containsExactly(2, 3);
        sim.close();

        sim = EngineSimulator.start(SimSupport.spec(EngineKind.TRITON));
        EngineProbe unsaid = SimSupport.probe(SimSupport.adapter(EngineKind.TRITON, sim, EngineOptions.DEFAULTS));
        assertThat(unsaid.gpus()).as("the backend places a KIND_MODEL group itself").isNull();
    }

    @Test
    @DisplayName("SCH-6 Triton instance groups: CPU groups use no GPU; a GPU group without a list, or KIND_AUTO, leaves it unknown")
    void tritonInstanceGroupKinds() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThat(TritonAdapter.gpus(json.readTree("[{\"kind\":\"KIND_GPU\",\"gpus\":[1]},{\"kind\":\"KIND_CPU\",\"count\":2}]")))
                .containsExactly(1);
        assertThat(TritonAdapter.gpus(json.readTree("[{\"kind\":\"KIND_CPU\"}]"))).isEmpty();
        assertThat(TritonAdapter.gpus(json.readTree("[{\"kind\":\"KIND_GPU\",\"count\":1}]"))).isNull();
        assertThat(TritonAdapter.gpus(json.readTree("[{\"count\":1,\"gpus\":[0]}]"))).as("kind defaults to KIND_AUTO").isNull();
        assertThat(TritonAdapter.gpus(json.readTree("[]"))).isNull();
    }

    @Test
    @DisplayName("vLLM chat completions stream delta.content chunks and report usage")
    void vllmChat() {
        sim = EngineSimulator.start(SimSupport.spec(EngineKind.VLLM));
        EngineAdapter adapter = SimSupport.adapter(EngineKind.VLLM, sim, EngineOptions.DEFAULTS.withChat(true));
        SimSupport.Recorder r = new SimSupport.Recorder();
        adapter.generate(SimSupport.request("Hi there", 10, 5), r);
        GenerationOutcome o = r.outcome();
        assertThat(r.text()).isEqualTo(DeterministicText.text(5, "Hi there", sim.engineVersion(), sim.digest(), 10));
        assertThat(o.tokensOut()).isEqualTo(10);
        assertThat(o.promptTokens()).isPositive();
    }

    @Test
    @DisplayName("vLLM rejects a prompt plus max_tokens over max_model_len: INVALID_PARAMS, not retriable, engine message kept")
    void vllmContextRejection() {
        sim = EngineSimulator.start(SimSupport.spec(EngineKind.VLLM).withCtx(64));
        EngineAdapter adapter = SimSupport.adapter(EngineKind.VLLM, sim, EngineOptions.DEFAULTS);
        SimSupport.Recorder r = new SimSupport.Recorder();
        adapter.generate(SimSupport.request("short prompt", 100, 5), r);
        var e = r.error();
        assertThat(e.code()).isEqualTo(io.sluice.core.error.ErrorCode.INVALID_PARAMS);
        assertThat(e.code().retriable()).isFalse();
        assertThat(e.engineStatus()).isEqualTo(400);
        assertThat(e.getMessage()).contains("maximum context length is 64");
    }

    @Test
    @DisplayName("TGI validation errors (422) are INVALID_PARAMS with the engine's message")
    void tgiValidation() {
        sim = EngineSimulator.start(SimSupport.spec(EngineKind.TGI).withCtx(64));
        EngineAdapter adapter = SimSupport.adapter(EngineKind.TGI, sim, EngineOptions.DEFAULTS);
        SimSupport.Recorder r = new SimSupport.Recorder();
        adapter.generate(SimSupport.request("short prompt", 100, 5), r);
        var e = r.error();
        assertThat(e.code()).isEqualTo(io.sluice.core.error.ErrorCode.INVALID_PARAMS);
        assertThat(e.engineErrorType()).isEqualTo("validation");
        assertThat(e.getMessage()).contains("max_new_tokens");
    }

    @Test
    @DisplayName("TGI seeds are unsigned 64-bit: a negative Sluice seed is sent as the same 64 bits")
    void tgiNegativeSeed() {
        sim = EngineSimulator.start(SimSupport.spec(EngineKind.TGI));
        EngineAdapter adapter = SimSupport.adapter(EngineKind.TGI, sim, EngineOptions.DEFAULTS);
        SimSupport.Recorder r = new SimSupport.Recorder();
        adapter.generate(SimSupport.request("Hello", 8, -42), r);
        r.outcome();
        assertThat(r.text()).isEqualTo(DeterministicText.text(-42, "Hello", sim.engineVersion(), sim.digest(), 8));
    }
}
