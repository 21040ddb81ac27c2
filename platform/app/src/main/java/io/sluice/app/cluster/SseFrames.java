package io.sluice.app.cluster;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Splits a server-sent event stream (as another instance sends it) into events, whatever the chunking of the bytes:
 * lines end with LF, CRLF or CR; {@code id}, {@code event} and {@code data} fields; a blank line ends an event;
 * comments (heartbeats) are skipped. Not thread-safe: fed from one connection's event loop.
 */
public final class SseFrames {
    /** One event. */
    public record Frame(String id, String event, String data) {}

    private final Consumer<Frame> sink;
    private boolean lastWasCr;
    private String id;
    private String event;
    private StringBuilder data;

    public SseFrames(Consumer<Frame> sink) {
        this.sink = sink;
    }

    public void feed(byte[] bytes) {
        // UTF-8 multi-byte sequences never contain CR or LF bytes, so splitting lines on bytes is safe; the partial
        // line is kept as bytes until complete.
        for (byte b : bytes) {
            if (b == '\n' && lastWasCr) {
                lastWasCr = false;
                continue;
            }
            lastWasCr = b == '\r';
            if (b == '\n' || b == '\r') {
                endLine();
            } else {
                pending.write(b);
            }
        }
    }

    private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();

    private void endLine() {
        String l = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        if (l.isEmpty()) {
            if (data != null || event != null) {
                sink.accept(new Frame(id, event == null ? "message" : event, data == null ? "" : data.toString()));
            }
            event = null;
            data = null;
            return;
        }
        if (l.startsWith(":")) {
            return;
        }
        int colon = l.indexOf(':');
        String field = colon < 0 ? l : l.substring(0, colon);
        String value = colon < 0 ? "" : l.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "id" -> id = value;
            case "event" -> event = value;
            case "data" -> {
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            }
            default -> {
                // retry and unknown fields carry nothing to relay
            }
        }
    }
}
