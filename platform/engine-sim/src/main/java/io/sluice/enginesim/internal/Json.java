package io.sluice.enginesim.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/** One shared Jackson mapper; object nodes keep insertion order, so frames have a stable field order. */
public final class Json {

    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    public static ObjectNode obj() {
        return JsonNodeFactory.instance.objectNode();
    }

    public static ArrayNode arr() {
        return JsonNodeFactory.instance.arrayNode();
    }

    public static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain nodes always serialises", e);
        }
    }

    public static Buffer buffer(JsonNode node) {
        try {
            return Buffer.buffer(MAPPER.writeValueAsBytes(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain nodes always serialises", e);
        }
    }

    /** Parses a request body; an empty body is an empty object. Throws {@link IOException} on bad JSON. */
    public static JsonNode parse(Buffer body) throws IOException {
        if (body == null || body.length() == 0) {
            return obj();
        }
        return MAPPER.readTree(body.getBytes());
    }

    /** A short reason for a parse failure, without Jackson's source-location suffix. */
    public static String reason(IOException e) {
        return e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : String.valueOf(e.getMessage());
    }
}
