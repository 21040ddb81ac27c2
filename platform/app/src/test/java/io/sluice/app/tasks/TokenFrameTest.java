package io.sluice.app.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.core.stream.TaskEvent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The hand-written token frame is byte for byte what the object mapper and the generic frame writer produce. */
class TokenFrameTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"", "plain", " leading space", "quote \" and backslash \\", "new\nline and\r\nCRLF", "tab\tbell\u0007nul\u0000",
        "unicode é ü ß 中文", "emoji 😀 and a lone surrogate \ud800", "</script> & <b>", "\u2028\u2029 separators", "data: not a field"})
    void tokenFrameMatchesTheGenericFrame(String text) throws Exception {
        TaskEvent.Token token = new TaskEvent.Token(text, 41);
        String expected = TaskStreamRoute.frame("42", "token", JSON.writeValueAsString(new TaskDtos.TokenPayload(text, 41)))
                .toString(StandardCharsets.UTF_8);
        assertThat(TaskStreamRoute.tokenFrame(42, token).toString(StandardCharsets.UTF_8)).isEqualTo(expected);
    }
}
