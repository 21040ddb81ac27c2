package io.sluice.core.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceException;
import io.sluice.core.task.Sampling.Parameter;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SamplingValidationTest {
    private static final String TASK = "0b9b6a56-3f51-4a59-9d53-1f2f0e4f6a10";
    private static final String SESSION = "7d0c3a4e-1b2c-4d5e-8f90-a1b2c3d4e5f6";

    private static TaskRequest request(String engine, Sampling sampling) {
        return new TaskRequest(TASK, SESSION, "completion", "dev-tiny", engine, null, null, null, null, null, "hi", null, null, null,
                null, null, null, null, null, null, sampling);
    }

    private static Sampling one(String member, double value) {
        return switch (member) {
            case "temperature" -> new Sampling(value, null, null, null, null, null, null);
            case "top_p" -> new Sampling(null, value, null, null, null, null, null);
            case "top_k" -> new Sampling(null, null, (long) value, null, null, null, null);
            case "min_p" -> new Sampling(null, null, null, value, null, null, null);
            case "presence_penalty" -> new Sampling(null, null, null, null, value, null, null);
            case "frequency_penalty" -> new Sampling(null, null, null, null, null, value, null);
            case "repetition_penalty" -> new Sampling(null, null, null, null, null, null, value);
            default -> throw new IllegalArgumentException(member);
        };
    }

    private static void refused(TaskRequest r, String field) {
        assertThatThrownBy(() -> TaskValidator.validate(r, "acme")).isInstanceOfSatisfying(SluiceException.class, e -> {
            assertThat(e.error().code()).isEqualTo(ErrorCode.INVALID_PARAMS);
            assertThat(e.error().field()).isEqualTo(field);
            assertThat(e.error().stage()).isEqualTo(AdmissionStage.VALIDATE);
        });
    }

    @ParameterizedTest(name = "ADM-3 sampling.{0}={1} is refused naming the member")
    @CsvSource({
        "temperature,-0.01", "temperature,2.01", "temperature,NaN",
        "top_p,0", "top_p,1.01", "top_p,-1",
        "top_k,-1", "top_k,1048577",
        "min_p,-0.1", "min_p,1.5",
        "presence_penalty,-2.5", "presence_penalty,2.5",
        "frequency_penalty,-2.01", "frequency_penalty,Infinity",
        "repetition_penalty,0", "repetition_penalty,-1", "repetition_penalty,10.5",
    })
    void refusesOutOfBounds(String member, double value) {
        refused(request(null, one(member, value)), "sampling." + member);
    }

    @ParameterizedTest(name = "sampling.{0}={1} is accepted and carried into the task")
    @CsvSource({
        "temperature,0", "temperature,2", "top_p,1", "top_p,0.01", "top_k,0", "top_k,1048576", "min_p,0", "min_p,1",
        "presence_penalty,-2", "presence_penalty,2", "frequency_penalty,2", "repetition_penalty,10", "repetition_penalty,0.5",
    })
    void acceptsBounds(String member, double value) {
        Sampling s = one(member, value);
        assertThat(TaskValidator.validate(request(null, s), "acme").sampling()).isEqualTo(s);
    }

    @Test
    @DisplayName("ADM-3 an empty sampling object is refused: absent means the engine's defaults")
    void refusesEmpty() {
        refused(request(null, new Sampling(null, null, null, null, null, null, null)), "sampling");
        assertThat(TaskValidator.validate(request(null, null), "acme").sampling()).isNull();
    }

    @Test
    @DisplayName("ADM-3 a task pinned to TGI is refused for presence_penalty, min_p and frequency_penalty -2, naming the member")
    void pinnedEngineRefusesWhatItCannotHonour() {
        refused(request("tgi", one("presence_penalty", 0.5)), "sampling.presence_penalty");
        refused(request("tgi", one("min_p", 0.1)), "sampling.min_p");
        refused(request("tgi", one("frequency_penalty", -2)), "sampling.frequency_penalty");
        Sampling ok = new Sampling(0.7, 0.9, 40L, null, null, 0.5, 1.1);
        assertThat(TaskValidator.validate(request("tgi", ok), "acme").sampling()).isEqualTo(ok);
        Sampling all = new Sampling(0.7, 0.9, 40L, 0.05, 0.3, 0.5, 1.1);
        for (String engine : new String[] {"llamacpp", "vllm", "triton"}) {
            assertThat(TaskValidator.validate(request(engine, all), "acme").sampling()).as(engine).isEqualTo(all);
        }
        // Without an engine, placement decides (only pools whose engine honours every member).
        assertThat(TaskValidator.validate(request(null, all), "acme").sampling()).isEqualTo(all);
    }

    @Test
    void supportTableMatchesTheProtocols() {
        for (Parameter p : Parameter.values()) {
            assertThat(SamplingSupport.supports(EngineKind.LLAMACPP, p)).as("llamacpp %s", p).isTrue();
            assertThat(SamplingSupport.supports(EngineKind.VLLM, p)).as("vllm %s", p).isTrue();
            assertThat(SamplingSupport.supports(EngineKind.TRITON, p)).as("triton %s", p).isTrue();
            assertThat(SamplingSupport.supports(EngineKind.TGI, p)).as("tgi %s", p)
                    .isEqualTo(p != Parameter.PRESENCE_PENALTY && p != Parameter.MIN_P);
        }
        assertThat(SamplingSupport.honours(EngineKind.TGI, null)).isTrue();
    }
}
