package io.sluice.enginesim;

import static io.sluice.enginesim.SimHttp.events;
import static io.sluice.enginesim.SimHttp.get;
import static io.sluice.enginesim.SimHttp.json;
import static io.sluice.enginesim.SimHttp.post;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The simulator's interruptible decode (ADR 0027): a cancelled stream continues after the text it had produced. */
@DisplayName("llama.cpp simulator: resume_text continues a cut stream (interruptible_decode)")
class ResumeTextTest {
    private static final String PROMPT = "Tell me about rivers";

    @Test
    @DisplayName("resume_text of the first k tokens continues with token k: the pieces joined equal the uncut stream")
    void continuesAfterTheGivenText() {
        try (EngineSimulator sim = EngineSimulator.start(InstanceSpec.of(EngineKind.LLAMACPP).withTokensPerSecond(0)
                .withInterruptibleDecode(true))) {
            assertThat(json(get(sim, "/props").body()).path("sluice_interruptible_decode").asBoolean()).isTrue();
            String whole = text(post(sim, "/completion", body(10, null)));
            String head = text(post(sim, "/completion", body(4, null)));
            String tail = text(post(sim, "/completion", body(6, head)));

            assertThat(head + tail).isEqualTo(whole);
            assertThat(whole).isEqualTo(DeterministicText.text(42, PROMPT, sim.spec().engineVersion(), sim.spec().digest(), 10));
        }
    }

    @Test
    @DisplayName("a resume_text that is not a prefix of the prompt's stream, or sent to a server without the capability, is a 400")
    void refusesTextThatIsNotThePromptsStream() {
        try (EngineSimulator sim = EngineSimulator.start(InstanceSpec.of(EngineKind.LLAMACPP).withTokensPerSecond(0)
                .withInterruptibleDecode(true))) {
            assertThat(post(sim, "/completion", body(4, " not the stream")).statusCode()).isEqualTo(400);
        }
        try (EngineSimulator plain = EngineSimulator.start(InstanceSpec.of(EngineKind.LLAMACPP).withTokensPerSecond(0))) {
            assertThat(json(get(plain, "/props").body()).has("sluice_interruptible_decode")).isFalse();
            String head = text(post(plain, "/completion", body(4, null)));
            assertThat(post(plain, "/completion", body(4, head)).statusCode()).isEqualTo(400);
        }
    }

    private static String body(int nPredict, String resumeText) {
        String resume = resumeText == null ? "" : ",\"resume_text\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(resumeText);
        return "{\"prompt\":\"" + PROMPT + "\",\"n_predict\":" + nPredict + ",\"stream\":true,\"seed\":42" + resume + "}";
    }

    private static String text(HttpResponse<String> r) {
        assertThat(r.statusCode()).isEqualTo(200);
        StringBuilder text = new StringBuilder();
        List<String> frames = events(r.body());
        for (String f : frames) {
            text.append(json(f).path("content").asText());
        }
        return text.toString();
    }
}
