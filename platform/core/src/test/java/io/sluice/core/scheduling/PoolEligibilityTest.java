package io.sluice.core.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.SluiceConfig;
import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.engine.Generation;
import io.sluice.core.engine.GenerationListener;
import io.sluice.core.engine.GenerationRequest;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceException;
import io.sluice.core.task.EngineKind;
import io.sluice.core.task.Sampling;
import io.sluice.core.task.TaskRequest;
import io.sluice.core.task.TaskSpec;
import io.sluice.core.task.TaskValidator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Which pools a task may run on, by sampler profile and by what each pool's engine honours (POOL-1, DET-1, ADR 0030). */
class PoolEligibilityTest {
    /** Never asked to generate: eligibility reads configuration only. */
    private record Unused(EngineKind kind) implements EngineAdapter {
        @Override
        public String endpoint() {
            return "http://127.0.0.1:1";
        }

        @Override
        public CompletableFuture<EngineProbe> probe() {
            return CompletableFuture.failedFuture(new IllegalStateException("not probed in this test"));
        }

        @Override
        public Generation generate(GenerationRequest request, GenerationListener listener) {
            throw new AssertionError("eligibility must not generate");
        }
    }

    private static final PoolRegistry REGISTRY = new PoolRegistry(config(), (p, r) -> new Unused(p.engine()), t -> 1.0);

    private static SluiceConfig config() {
        return new ConfigLoader(true).parse("""
                pools:
                  - {id: l1, model: m, engine: llamacpp, quant: q4_k_m, sampler_profile_version: sp-1,
                     replicas: [{id: r0, url: "http://127.0.0.1:1"}]}
                  - {id: l2, model: m, engine: llamacpp, quant: q4_k_m, sampler_profile_version: sp-2,
                     replicas: [{id: r0, url: "http://127.0.0.1:2"}]}
                  - {id: t1, model: m, engine: tgi, sampler_profile_version: sp-1,
                     replicas: [{id: r0, url: "http://127.0.0.1:3"}]}
                  - {id: bare, model: n, engine: vllm, replicas: [{id: r0, url: "http://127.0.0.1:1"}]}
                """);
    }

    private static TaskSpec spec(String model, String engine, String profile, Sampling sampling) {
        return TaskValidator.validate(new TaskRequest(UUID.randomUUID().toString(), UUID.randomUUID().toString(), "completion", model,
                engine, null, null, null, null, profile, "hi", null, null, null, null, null, null, null, null, null, sampling), "t");
    }

    private static List<String> eligible(TaskSpec spec) {
        return REGISTRY.eligible(spec, REGISTRY.poolsServing(spec)).stream().map(Pool::id).toList();
    }

    private static void refused(TaskSpec spec, String field) {
        assertThatThrownBy(() -> REGISTRY.eligible(spec, REGISTRY.poolsServing(spec))).isInstanceOfSatisfying(SluiceException.class, e -> {
            assertThat(e.error().code()).isEqualTo(ErrorCode.INVALID_PARAMS);
            assertThat(e.error().field()).isEqualTo(field);
            assertThat(e.error().stage()).isEqualTo(AdmissionStage.RESOLVE_MODEL);
            assertThat(e.error().retriable()).isFalse();
        });
    }

    @Test
    @DisplayName("a task naming neither sampling nor a sampler profile gets the serving list itself back (nothing allocated)")
    void fastPath() {
        TaskSpec plain = spec("m", null, null, null);
        List<Pool> serving = REGISTRY.poolsServing(plain);
        assertThat(REGISTRY.eligible(plain, serving)).isSameAs(serving);
    }

    @Test
    @DisplayName("POOL-1 DET-1 a sampler_profile_version places only on pools declaring it; none declaring it is 400 naming it")
    void samplerProfile() {
        assertThat(eligible(spec("m", null, "sp-1", null))).containsExactly("l1", "t1");
        assertThat(eligible(spec("m", null, "sp-2", null))).containsExactly("l2");
        refused(spec("m", null, "sp-9", null), "sampler_profile_version");
        refused(spec("n", null, "sp-1", null), "sampler_profile_version");
    }

    @Test
    @DisplayName("POOL-1 sampling members narrow the pools to engines that honour them; none left is 400 naming the member")
    void engineSupport() {
        Sampling presence = new Sampling(null, null, null, null, 0.5, null, null);
        assertThat(eligible(spec("m", null, null, presence))).containsExactly("l1", "l2");
        assertThat(eligible(spec("m", null, "sp-1", presence))).containsExactly("l1");
        Sampling temperature = new Sampling(0.7, null, null, null, null, null, null);
        assertThat(eligible(spec("m", null, "sp-1", temperature))).containsExactly("l1", "t1");
        TaskSpec tgiOnly = spec("m", "tgi", null, null);
        assertThat(eligible(tgiOnly)).containsExactly("t1");
        // TGI has no min_p: of the two sp-1 pools only the llama.cpp one remains.
        TaskSpec minP = spec("m", null, "sp-1", new Sampling(null, null, null, 0.1, null, null, null));
        assertThat(eligible(minP)).containsExactly("l1");
        assertThat(REGISTRY.pool("l1").orElseThrow().config().quant()).isEqualTo("q4_k_m");
    }

    @Test
    @DisplayName("POOL-1 a profile served only by an engine that cannot honour the sampling is refused naming the member")
    void profileAndSamplingTogether() {
        SluiceConfig onlyTgi = new ConfigLoader(true).parse("""
                pools:
                  - {id: t1, model: m, engine: tgi, sampler_profile_version: sp-1, replicas: [{id: r0, url: "http://127.0.0.1:1"}]}
                  - {id: l1, model: m, engine: llamacpp, sampler_profile_version: sp-2, replicas: [{id: r0, url: "http://127.0.0.1:2"}]}
                """);
        PoolRegistry registry = new PoolRegistry(onlyTgi, (p, r) -> new Unused(p.engine()), t -> 1.0);
        TaskSpec spec = spec("m", null, "sp-1", new Sampling(null, null, null, null, 0.5, null, null));
        assertThatThrownBy(() -> registry.eligible(spec, registry.poolsServing(spec))).isInstanceOfSatisfying(SluiceException.class,
                e -> assertThat(e.error().field()).isEqualTo("sampling.presence_penalty"));
    }
}
