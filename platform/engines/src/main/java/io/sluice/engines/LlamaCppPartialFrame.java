package io.sluice.engines;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The fast read of llama.cpp's most frequent stream frame, a partial one ({@code "stop": false}), whose only use is its
 * {@code content}. A streaming parse takes that member and skips the others (token ids, slot id, counters) without
 * building a tree: in a profile of the streams scenario the tree parse of engine frames was more than half of the
 * engine-stream work (docs/benchmarks/hot-path.md).
 *
 * <p>Anything else — the final frame, an error frame, a frame without string content, one that is not a JSON object —
 * gives {@code null}, and the caller reads the frame in full, which also produces the right error. So the fast path
 * never decides anything the full read would decide differently.
 */
public final class LlamaCppPartialFrame {
    private static final JsonFactory FACTORY = HttpEngineAdapter.JSON.getFactory();

    private LlamaCppPartialFrame() {}

    /** The {@code content} of a partial frame, or {@code null} when the frame needs the full read. */
    public static String content(String data) {
        try (JsonParser p = FACTORY.createParser(data)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String content = null;
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "content" -> {
                        if (value != JsonToken.VALUE_STRING) {
                            return null;
                        }
                        content = p.getText();
                    }
                    case "stop" -> {
                        if (value != JsonToken.VALUE_FALSE) {
                            return null;
                        }
                    }
                    case "error" -> {
                        return null;
                    }
                    default -> p.skipChildren();
                }
            }
            return t == JsonToken.END_OBJECT ? content : null;
        } catch (IOException e) {
            return null;
        }
    }
}
