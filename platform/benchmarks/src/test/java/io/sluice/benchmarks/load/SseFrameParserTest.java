package io.sluice.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.benchmarks.load.SseFrameParser.SseFrame;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseFrameParserTest {
    private static final String SLUICE_STREAM = "id: 1\nevent: started\ndata: {\"queue_position\":0}\n\n"
            + ": keep-alive\n\n"
            + "id: 2\r\nevent: token\r\ndata: {\"t\":\"héllo ✓\",\"i\":0}\r\n\r\n"
            + "id: 3\revent: end\rdata: {\"tokens_out\":1,\"decode_ms\":4}\r\r";

    private static List<SseFrame> parseInChunks(byte[] body, int... cuts) {
        List<SseFrame> frames = new ArrayList<>();
        SseFrameParser parser = new SseFrameParser(frames::add);
        int from = 0;
        for (int cut : cuts) {
            parser.feed(body, from, cut - from);
            from = cut;
        }
        parser.feed(body, from, body.length - from);
        return frames;
    }

    @Test
    void readsSluiceEventsWithEveryLineEndingAndSkipsComments() {
        List<SseFrame> frames = parseInChunks(SLUICE_STREAM.getBytes(StandardCharsets.UTF_8));
        assertThat(frames).containsExactly(
                new SseFrame("1", "started", "{\"queue_position\":0}"),
                new SseFrame("2", "token", "{\"t\":\"héllo ✓\",\"i\":0}"),
                new SseFrame("3", "end", "{\"tokens_out\":1,\"decode_ms\":4}"));
    }

    @Test
    void givesTheSameFramesWhereverTheChunksAreCut() {
        // Cuts fall inside lines, between \r and \n, and inside multi-byte UTF-8 characters.
        byte[] body = SLUICE_STREAM.getBytes(StandardCharsets.UTF_8);
        List<SseFrame> whole = parseInChunks(body);
        for (int a = 1; a < body.length; a++) {
            assertThat(parseInChunks(body, a)).as("cut at %d", a).isEqualTo(whole);
        }
        byte[] oneByteChunks = body;
        List<SseFrame> frames = new ArrayList<>();
        SseFrameParser parser = new SseFrameParser(frames::add);
        for (byte b : oneByteChunks) {
            parser.feed(new byte[] {b});
        }
        assertThat(frames).isEqualTo(whole);
    }

    @Test
    void readsLlamaCppDataOnlyFramesAsMessages() {
        String body = "data: {\"content\":\"a\",\"stop\":false}\n\ndata: {\"content\":\"\",\"stop\":true}\n\n";
        assertThat(parseInChunks(body.getBytes(StandardCharsets.UTF_8)))
                .extracting(SseFrame::event, SseFrame::data)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("message", "{\"content\":\"a\",\"stop\":false}"),
                        org.assertj.core.groups.Tuple.tuple("message", "{\"content\":\"\",\"stop\":true}"));
    }

    @Test
    void joinsMultiLineDataAndKeepsValuesWithoutTheOptionalSpace() {
        String body = "event:token\ndata:first\ndata:  second\n\n";
        assertThat(parseInChunks(body.getBytes(StandardCharsets.UTF_8))).containsExactly(new SseFrame(null, "token", "first\n second"));
    }

    @Test
    void dropsFramesWithoutDataAndAnUnterminatedLastFrame() {
        String body = "event: token\n\nid: 7\nevent: token\ndata: {}";
        assertThat(parseInChunks(body.getBytes(StandardCharsets.UTF_8))).isEmpty();
    }
}
