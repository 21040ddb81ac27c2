package io.sluice.engines;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineException;
import io.sluice.core.engine.GenerationRequest;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.task.EngineKind;
import io.sluice.core.task.Sampling;
import io.sluice.core.task.SamplingSupport;
import io.sluice.enginesim.DeterministicText;
import io.sluice.enginesim.EngineSimulator;
import io.sluice.enginesim.InstanceSpec;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each adapter sends a task's sampling parameters in its engine's wire names, and the simulator, which reads the same
 * names and mixes them into its deterministic stream, makes that visible: equal parameters give a byte-identical
 * stream, another temperature another stream, on every protocol.
 */
@DisplayName("DET-1 POOL-4 sampling parameters reach each engine")
class SamplingForwardingTest {
    private static final String PROMPT = "Once upon a river";
    /** Every member the engine honours, none at the engine's default. */
    private static final Sampling ALL = new Sampling(0.7, 0.9, 20L, 0.1, 0.3, 0.4, 1.2);

    private EngineSimulator sim;

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

    /** ALL without the members {@code kind} cannot take (admission never sends those). */
    private static Sampling honoured(EngineKind kind) {
        return switch (kind) {
            case TGI -> new Sampling(0.7, 0.9, 20L, null, null, 0.4, 1.2);
            // The simulator's Triton model is a TensorRT-LLM ensemble without a min_p input, as the stock one.
            case TRITON -> new Sampling(0.7, 0.9, 20L, null, 0.3, 0.4, 1.2);
            default -> ALL;
        };
    }

    private static Sampling withTemperature(Sampling s, double t) {
        return new Sampling(t, s.topP(), s.topK(), s.minP(), s.presencePenalty(), s.frequencyPenalty(), s.repetitionPenalty());
    }

    private EngineAdapter start(EngineKind kind) throws Exception {
        sim = EngineSimulator.start(SimSupport.spec(kind));
        EngineAdapter adapter = SimSupport.adapter(kind, sim, EngineOptions.DEFAULTS);
        // The probe tells the Triton adapter its model's dialect and inputs.
        SimSupport.probe(adapter);
        return adapter;
    }

    private static String generate(EngineAdapter adapter, long seed, Sampling sampling) {
        SimSupport.Recorder r = new SimSupport.Recorder();
        adapter.generate(new GenerationRequest(UUID.randomUUID(), InstanceSpec.DEFAULT_MODEL, PROMPT, 16, seed, null, null, sampling), r);
        r.outcome();
        return r.text();
    }

    @ParameterizedTest
    @EnumSource(EngineKind.class)
    @DisplayName("DET-1 equal sampling gives a byte-identical stream, another temperature another one; none keeps the old stream")
    void samplingShapesTheStream(EngineKind kind) throws Exception {
        EngineAdapter adapter = start(kind);
        Sampling s = honoured(kind);
        assertThat(SamplingSupport.honours(kind, s)).isTrue();

        String first = generate(adapter, 7, s);
        String again = generate(adapter, 7, s);
        String hotter = generate(adapter, 7, withTemperature(s, 1.3));
        String plain = generate(adapter, 7, null);

        assertThat(again).as("equal parameters, equal stream").isEqualTo(first);
        assertThat(hotter).as("another temperature, another stream").isNotEqualTo(first);
        assertThat(first).as("sampling reached the engine").isNotEqualTo(plain);
        assertThat(plain).as("no sampling: the stream the engine gave before")
                .isEqualTo(DeterministicText.text(7, PROMPT, sim.engineVersion(), sim.digest(), 16));
        // Each member on its own changes the stream: none is dropped on the way.
        Map<String, Sampling> singles = new LinkedHashMap<>();
        singles.put("temperature", new Sampling(s.temperature(), null, null, null, null, null, null));
        singles.put("top_p", new Sampling(null, s.topP(), null, null, null, null, null));
        singles.put("top_k", new Sampling(null, null, s.topK(), null, null, null, null));
        if (s.minP() != null) {
            singles.put("min_p", new Sampling(null, null, null, s.minP(), null, null, null));
        }
        if (s.presencePenalty() != null) {
            singles.put("presence_penalty", new Sampling(null, null, null, null, s.presencePenalty(), null, null));
        }
        singles.put("frequency_penalty", new Sampling(null, null, null, null, null, s.frequencyPenalty(), null));
        singles.put("repetition_penalty", new Sampling(null, null, null, null, null, null, s.repetitionPenalty()));
        for (Map.Entry<String, Sampling> e : singles.entrySet()) {
            assertThat(generate(adapter, 7, e.getValue())).as("%s alone reaches %s", e.getKey(), kind).isNotEqualTo(plain);
        }
        SimSupport.await("slots freed", () -> sim.stats().active() == 0);
    }

    @ParameterizedTest
    @EnumSource(value = EngineKind.class, names = {"LLAMACPP", "VLLM", "TRITON"})
    @DisplayName("DET-1 equal sampling on the same engine build gives the same stream on two replicas")
    void twoReplicasAgree(EngineKind kind) throws Exception {
        EngineAdapter a = start(kind);
        try (EngineSimulator other = EngineSimulator.start(SimSupport.spec(kind))) {
            EngineAdapter b = SimSupport.adapter(kind, other, EngineOptions.DEFAULTS);
            SimSupport.probe(b);
            Sampling s = honoured(kind);
            assertThat(generate(b, 11, s)).isEqualTo(generate(a, 11, s));
        }
    }

    @Test
    @DisplayName("TGI: temperature 0 is greedy (do_sample false, which TGI does by default) and top_k 0 is TGI's unset; neither is refused")
    void tgiGreedyAndTopKOff() throws Exception {
        EngineAdapter adapter = start(EngineKind.TGI);
        String plain = generate(adapter, 3, null);
        // TGI refuses temperature 0 and top_k 0 (422); the adapter sends neither.
        assertThat(generate(adapter, 3, new Sampling(0.0, 0.9, 0L, null, null, null, null))).isEqualTo(plain);
        assertThat(generate(adapter, 3, new Sampling(0.0, null, null, null, null, null, 1.2))).isNotEqualTo(plain);
        // Any other temperature turns sampling on, so temperature 1.0 is not TGI's greedy default.
        assertThat(generate(adapter, 3, new Sampling(1.0, null, null, null, null, null, null))).isNotEqualTo(plain);
    }

    @Test
    @DisplayName("vLLM: top_k 0 (off) is sent as vLLM's -1, which is vLLM's default")
    void vllmTopKOff() throws Exception {
        EngineAdapter adapter = start(EngineKind.VLLM);
        assertThat(generate(adapter, 5, new Sampling(null, null, 0L, null, null, null, null))).isEqualTo(generate(adapter, 5, null));
    }

    @Test
    @DisplayName("Triton TensorRT-LLM: a member the model declares no input for fails the generation with INVALID_PARAMS, not dropped")
    void tritonRefusesUndeclaredInput() throws Exception {
        EngineAdapter adapter = start(EngineKind.TRITON);
        SimSupport.Recorder r = new SimSupport.Recorder();
        adapter.generate(new GenerationRequest(UUID.randomUUID(), InstanceSpec.DEFAULT_MODEL, PROMPT, 8, 1, null, null,
                new Sampling(null, null, null, 0.1, null, null, null)), r);
        EngineException e = r.error();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARAMS);
        assertThat(e.getMessage()).contains("min_p");
        assertThat(r.terminals.get()).isEqualTo(1);
        assertThat(sim.stats().completed()).as("nothing was sent").isZero();
    }
}
