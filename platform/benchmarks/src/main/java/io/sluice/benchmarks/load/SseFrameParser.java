package io.sluice.benchmarks.load;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Incremental parser of a {@code text/event-stream} body (WHATWG server-sent events), fed with the chunks as
 * they arrive. Chunk boundaries fall anywhere — inside a line, between {@code \r} and {@code \n}, inside a
 * multi-byte UTF-8 character — so lines are cut on bytes and decoded only once complete.
 *
 * <p>Both Sluice ({@code id:}/{@code event:}/{@code data:} frames) and llama.cpp (bare {@code data:} lines) are
 * read with it. Not thread-safe: one parser per response, fed from one thread.
 */
public final class SseFrameParser {
    /** One dispatched event; {@code event} is {@code "message"} when the frame named none, as in browsers. */
    public record SseFrame(String id, String event, String data) {}

    private final Consumer<SseFrame> listener;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private boolean previousWasCarriageReturn;
    private String id;
    private String event;
    private StringBuilder data;

    public SseFrameParser(Consumer<SseFrame> listener) {
        this.listener = listener;
    }

    public void feed(byte[] chunk) {
        feed(chunk, 0, chunk.length);
    }

    public void feed(byte[] chunk, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            byte b = chunk[i];
            if (b == '\n') {
                // "\r\n" is one line end, even when the two bytes arrive in different chunks.
                if (!previousWasCarriageReturn) {
                    endLine();
                }
                previousWasCarriageReturn = false;
            } else if (b == '\r') {
                endLine();
                previousWasCarriageReturn = true;
            } else {
                line.write(b);
                previousWasCarriageReturn = false;
            }
        }
    }

    private void endLine() {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (text.isEmpty()) {
            dispatch();
            return;
        }
        if (text.charAt(0) == ':') {
            return; // comment, e.g. a keep-alive
        }
        int colon = text.indexOf(':');
        String field = colon < 0 ? text : text.substring(0, colon);
        String value = colon < 0 ? "" : text.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "data" -> {
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            }
            case "event" -> event = value;
            case "id" -> id = value;
            default -> {
                // "retry" and unknown fields do not matter to a load driver
            }
        }
    }

    private void dispatch() {
        // A frame without data is not an event (the specification drops it); id and event reset with it.
        if (data != null) {
            listener.accept(new SseFrame(id, event == null ? "message" : event, data.toString()));
        }
        data = null;
        event = null;
        id = null;
    }
}
