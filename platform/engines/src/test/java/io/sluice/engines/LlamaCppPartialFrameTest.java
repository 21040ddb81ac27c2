package io.sluice.engines;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The streaming read of partial llama.cpp frames agrees with the full read on every frame it answers, and hands every
 * other frame to the full read.
 */
class LlamaCppPartialFrameTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @DisplayName("a partial frame's content is read, whatever other members it carries and in any order")
    void partialFramesGiveTheirContent() {
        assertThat(LlamaCppPartialFrame.content("{\"index\":0,\"content\":\" world\",\"tokens\":[1917],\"stop\":false,"
                + "\"id_slot\":0,\"tokens_predicted\":2,\"tokens_evaluated\":5}")).isEqualTo(" world");
        assertThat(LlamaCppPartialFrame.content("{\"stop\":false,\"content\":\"caf\\u00e9 \\\"q\\\"\"}")).isEqualTo("café \"q\"");
        assertThat(LlamaCppPartialFrame.content("{\"content\":\"\",\"stop\":false}")).as("a held-back character").isEmpty();
        assertThat(LlamaCppPartialFrame.content("{\"content\":\"x\",\"timings\":{\"a\":{\"b\":[1,{\"c\":2}]}}}")).isEqualTo("x");
    }

    @Test
    @DisplayName("the final frame, error frames, frames without string content and malformed frames go to the full read")
    void everythingElseGoesToTheFullRead() {
        for (String frame : List.of(
                "{\"content\":\"\",\"stop\":true,\"stop_type\":\"limit\",\"tokens_predicted\":16}",
                "{\"content\":\"x\",\"stop\":\"true\"}",
                "{\"error\":{\"code\":500,\"message\":\"boom\"}}",
                "{\"content\":\"x\",\"error\":\"late\"}",
                "{\"content\":7,\"stop\":false}",
                "{\"stop\":false}",
                "[\"content\"]",
                "\"content\"",
                "{\"content\":\"x\"",
                "not json",
                "")) {
            assertThat(LlamaCppPartialFrame.content(frame)).as(frame).isNull();
        }
    }

    @Test
    @DisplayName("where the fast read answers, the full read gives the same content for the same frame")
    void agreesWithTheFullRead() throws Exception {
        for (String frame : List.of(
                "{\"content\":\"a\",\"stop\":false}",
                "{\"content\":\"first\",\"content\":\"second\",\"stop\":false}",
                "{\"content\":\"\\ud83d\\ude00\",\"tokens\":[],\"stop\":false}",
                "{\"content\":\"tail\"} trailing")) {
            JsonNode tree = JSON.readTree(frame);
            assertThat(LlamaCppPartialFrame.content(frame)).as(frame).isEqualTo(tree.path("content").asText());
        }
    }
}
