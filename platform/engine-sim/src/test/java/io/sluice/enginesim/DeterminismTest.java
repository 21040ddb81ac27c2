package io.sluice.enginesim;

import static io.sluice.enginesim.SimHttp.events;
import static io.sluice.enginesim.SimHttp.json;
import static io.sluice.enginesim.SimHttp.post;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@DisplayName("POOL-5 deterministic token streams")
class DeterminismTest {

    private static final String PROMPT = "The keeper of the sluice said: \"open\" — and then?";

    /** Path and body of a streaming request with the given seed, per protocol. */
    private static String[] streamRequest(EngineKind kind, long seed, int n) {
        String prompt = PROMPT.replace("\"", "\\\"");
        return switch (kind) {
            case LLAMACPP -> new String[] {"/completion",
                    "{\"prompt\":\"" + prompt + "\",\"n_predict\":" + n + ",\"stream\":true,\"seed\":" + seed + "}"};
            case VLLM -> new String[] {"/v1/completions",
                    "{\"model\":\"dev-tiny\",\"prompt\":\"" + prompt + "\",\"max_tokens\":" + n
                            + ",\"stream\":true,\"seed\":" + seed + "}"};
            case TGI -> new String[] {"/generate_stream",
                    "{\"inputs\":\"" + prompt + "\",\"parameters\":{\"max_new_tokens\":" + n + ",\"seed\":" + seed + "}}"};
            case TRITON -> new String[] {"/v2/models/dev-tiny/generate_stream",
                    "{\"text_input\":\"" + prompt + "\",\"parameters\":{\"max_tokens\":" + n + ",\"seed\":" + seed
                            + ",\"stream\":true}}"};
        };
    }

    /** The token pieces of a stream, in order. */
    private static List<String> pieces(EngineKind kind, String body) {
        List<String> out = new ArrayList<>();
        for (String e : events(body)) {
            if (e.equals("[DONE]")) {
                continue;
            }
            var f = json(e);
            switch (kind) {
                case LLAMACPP -> {
                    // The final frame carries text held back for an incomplete UTF-8 character, if any.
                    if (!f.get("stop").asBoolean() || !f.get("content").asText().isEmpty()) {
                        out.add(f.get("content").asText());
                    }
                }
                case VLLM -> {
                    if (!f.get("choices").isEmpty()) {
                        out.add(f.get("choices").get(0).get("text").asText());
                    }
                }
                case TGI -> out.add(f.get("token").get("text").asText());
                case TRITON -> out.add(f.get("text_output").asText());
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(EngineKind.class)
    @DisplayName("same seed, prompt, engine_version and digest give the same pieces on two instances")
    void sameInputsSameStreamAcrossInstances(EngineKind kind) {
        InstanceSpec spec = InstanceSpec.of(kind).withTokensPerSecond(0);
        try (EngineSimulator a = EngineSimulator.start(spec);
                EngineSimulator b = EngineSimulator.start(spec)) {
            String[] req = streamRequest(kind, 1234, 40);

            String bodyA = post(a, req[0], req[1]).body();
            String bodyB = post(b, req[0], req[1]).body();

            List<String> piecesA = pieces(kind, bodyA);
            assertThat(piecesA).isEqualTo(pieces(kind, bodyB));
            if (kind == EngineKind.LLAMACPP) {
                // llama.cpp packs a token with non-ASCII text into the next frame: fewer frames, same text.
                assertThat(piecesA).hasSizeLessThanOrEqualTo(40);
                assertThat(String.join("", piecesA))
                        .isEqualTo(DeterministicText.text(1234, PROMPT, kind.defaultVersion(), a.digest(), 40));
            } else {
                assertThat(piecesA).hasSize(40)
                        .isEqualTo(DeterministicText.pieces(1234, PROMPT, kind.defaultVersion(), a.digest(), 40));
            }
            if (kind == EngineKind.TGI || kind == EngineKind.TRITON) {
                // These frames carry no ids or clocks: the whole byte stream is identical.
                assertThat(bodyA).isEqualTo(bodyB);
            }
            if (kind == EngineKind.LLAMACPP) {
                // Token frames are identical; only the final frame carries timings.
                assertThat(bodyA.substring(0, bodyA.lastIndexOf("data: ")))
                        .isEqualTo(bodyB.substring(0, bodyB.lastIndexOf("data: ")));
            }
        }
    }

    @Test
    @DisplayName("a different engine_version gives a different stream")
    void differentEngineVersionDiffers() {
        try (EngineSimulator a = EngineSimulator.start(InstanceSpec.of(EngineKind.LLAMACPP).withTokensPerSecond(0));
                EngineSimulator b = EngineSimulator.start(
                        InstanceSpec.of(EngineKind.LLAMACPP).withTokensPerSecond(0).withEngineVersion("b4300"))) {
            String[] req = streamRequest(EngineKind.LLAMACPP, 7, 32);

            List<String> pa = pieces(EngineKind.LLAMACPP, post(a, req[0], req[1]).body());
            List<String> pb = pieces(EngineKind.LLAMACPP, post(b, req[0], req[1]).body());

            assertThat(String.join("", pa)).isEqualTo(DeterministicText.text(7, PROMPT, a.engineVersion(), a.digest(), 32));
            assertThat(String.join("", pb)).isEqualTo(DeterministicText.text(7, PROMPT, "b4300", b.digest(), 32))
                    .isNotEqualTo(String.join("", pa));
        }
    }

    @Test
    @DisplayName("a different digest or seed gives a different stream; no seed means the fixed default")
    void digestAndSeedMatter() {
        String digest = InstanceSpec.sha256Hex("dev-tiny");
        String other = InstanceSpec.sha256Hex("dev-tiny-q8");
        assertThat(DeterministicText.text(1, PROMPT, "b4242", digest, 32))
                .isNotEqualTo(DeterministicText.text(1, PROMPT, "b4242", other, 32))
                .isNotEqualTo(DeterministicText.text(2, PROMPT, "b4242", digest, 32));

        try (EngineSimulator sim = EngineSimulator.start(InstanceSpec.of(EngineKind.VLLM).withTokensPerSecond(0))) {
            String text = json(post(sim, "/v1/completions", "{\"model\":\"dev-tiny\",\"prompt\":\"abc\",\"max_tokens\":8}"))
                    .get("choices").get(0).get("text").asText();
            assertThat(text).isEqualTo(
                    DeterministicText.text(DeterministicText.DEFAULT_SEED, "abc", "0.6.3", sim.digest(), 8));
        }
    }

    @Test
    @DisplayName("the rule is pinned: a known input gives a known stream (vocabulary and hash are a contract)")
    void pinnedGoldenStream() {
        String digest = InstanceSpec.sha256Hex("dev-tiny");

        List<String> pieces = DeterministicText.pieces(42, "hello", "b4242", digest, 8);

        assertThat(pieces).containsExactly(GOLDEN);
        assertThat(DeterministicText.vocabularySize()).isEqualTo(250);
    }

    private static final String[] GOLDEN = {" tea", " can", "ing", " rises", " word", " song", " seed", " bridge"};

    @Test
    @DisplayName("token i depends only on i, not on how many tokens were asked for")
    void prefixStable() {
        String digest = InstanceSpec.sha256Hex("m");
        List<String> ten = DeterministicText.pieces(5, "p", "v", digest, 10);
        List<String> hundred = DeterministicText.pieces(5, "p", "v", digest, 100);

        assertThat(hundred.subList(0, 10)).isEqualTo(ten);
    }
}
