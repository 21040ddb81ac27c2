package io.sluice.core.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TaskValidatorTest {
    private static final String TASK = "0b9b6a56-3f51-4a59-9d53-1f2f0e4f6a10";
    private static final String SESSION = "7d0c3a4e-1b2c-4d5e-8f90-a1b2c3d4e5f6";

    static TaskRequest request(String field, Object value) {
        Map<String, Object> m = new java.util.HashMap<>(Map.of(
                "task_id", TASK, "session_id", SESSION, "workload", "completion", "model_ref", "dev-tiny", "prompt", "hi"));
        if (value == null) {
            m.remove(field);
        } else {
            m.put(field, value);
        }
        return new TaskRequest((String) m.get("task_id"), (String) m.get("session_id"), (String) m.get("workload"),
                (String) m.get("model_ref"), (String) m.get("engine"), (Long) m.get("ctx"), (String) m.get("priority"),
                (Long) m.get("seed"), (String) m.get("determinism"), (String) m.get("sampler_profile_version"),
                (String) m.get("prompt"), castList(m.get("inputs")), (Long) m.get("max_tokens"), (Long) m.get("deadline_ms"),
                (Long) m.get("expected_tokens"), (String) m.get("kv_hint"), (Boolean) m.get("override"), null, (Boolean) m.get("cancel_on_disconnect"));
    }

    @SuppressWarnings("unchecked")
    private static List<String> castList(Object o) {
        return (List<String>) o;
    }

    @Test
    @DisplayName("ADM-1 DET-1 defaults apply and the seed derives from the task id")
    void defaults() {
        TaskSpec s = TaskValidator.validate(request("x", null), "acme");
        assertThat(s.priority()).isEqualTo(Priority.INTERACTIVE);
        assertThat(s.determinism()).isEqualTo(Determinism.BEST_EFFORT);
        assertThat(s.kvHint()).isEqualTo(KvHint.REUSE);
        assertThat(s.maxTokens()).isEqualTo(TaskValidator.DEFAULT_MAX_TOKENS);
        assertThat(s.seedDerived()).isTrue();
        assertThat(s.seed()).isEqualTo(TaskValidator.deriveSeed(UUID.fromString(TASK))).isNotNegative();
        assertThat(TaskValidator.validate(request("x", null), "acme").seed()).isEqualTo(s.seed());
    }

    @ParameterizedTest(name = "ADM-3 {0}={1} is rejected naming the field")
    @CsvSource({
        "task_id,not-a-uuid",
        "session_id,1-1-1-1-1",
        "workload,translation",
        "engine,ollama",
        "priority,urgent",
        "determinism,maybe",
        "kv_hint,warm",
        "model_ref,''",
    })
    void rejectsBadValues(String field, String value) {
        assertThatThrownBy(() -> TaskValidator.validate(request(field, value), "acme"))
                .isInstanceOfSatisfying(SluiceException.class, e -> {
                    assertThat(e.error().code()).isEqualTo(ErrorCode.INVALID_PARAMS);
                    assertThat(e.error().field()).isEqualTo(field);
                    assertThat(e.error().stage()).isEqualTo(AdmissionStage.VALIDATE);
                    assertThat(e.error().message()).contains(field);
                });
    }

    @ParameterizedTest(name = "ADM-3 {0}={1} is out of range")
    @CsvSource({"max_tokens,0", "max_tokens,-5", "max_tokens,99999999999", "deadline_ms,0", "deadline_ms,86400001", "ctx,0",
        "seed,-1", "expected_tokens,0"})
    void rejectsAbsurdNumbers(String field, long value) {
        assertThatThrownBy(() -> TaskValidator.validate(request(field, value), "acme"))
                .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.error().field()).isEqualTo(field));
    }

    @Test
    @DisplayName("ADM-3 missing required fields and workload/prompt mismatches are rejected")
    void requiredFields() {
        for (String f : List.of("task_id", "session_id", "workload", "model_ref", "prompt")) {
            assertThatThrownBy(() -> TaskValidator.validate(request(f, null), "acme"))
                    .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.error().field()).isEqualTo(f));
        }
        assertThatThrownBy(() -> TaskValidator.validate(request("workload", "embedding"), "acme"))
                .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.error().field()).isEqualTo("inputs"));
        assertThatThrownBy(() -> TaskValidator.validate(request("prompt", "x".repeat(TaskValidator.MAX_TEXT_CHARS + 1)), "acme"))
                .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.error().field()).isEqualTo("prompt"));
    }
}
