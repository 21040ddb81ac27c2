package io.sluice.policy.host.internal.abi;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * The ABI v1 JSON Schemas from {@code policy-sdk/abi/v1}, copied onto the class path by the build.
 * Loaded once; {@link Schema} is thread-safe.
 */
public final class AbiSchemas {
    /** Class path directory the build copies {@code policy-sdk/abi/v1} into. */
    public static final String RESOURCE_DIR = "io/sluice/policy/abi/v1/";

    /** The schema files of ABI v1 (ABI.md section 11). */
    public enum Kind {
        DESCRIBE_OUTPUT("describe.output.schema.json"),
        ADMIT_INPUT("admit.input.schema.json"),
        ADMIT_OUTPUT("admit.output.schema.json"),
        ROUTE_INPUT("route.input.schema.json"),
        ROUTE_OUTPUT("route.output.schema.json");

        public final String file;

        Kind(String file) {
            this.file = file;
        }
    }

    private static volatile AbiSchemas instance;

    private final Map<Kind, Schema> schemas;

    private AbiSchemas(Map<Kind, Schema> schemas) {
        this.schemas = schemas;
    }

    public static AbiSchemas get() {
        AbiSchemas s = instance;
        if (s == null) {
            synchronized (AbiSchemas.class) {
                s = instance;
                if (s == null) {
                    s = load();
                    instance = s;
                }
            }
        }
        return s;
    }

    private static AbiSchemas load() {
        Map<Kind, String> ids = new EnumMap<>(Kind.class);
        Map<String, String> byId = new HashMap<>();
        for (Kind k : Kind.values()) {
            String text = read(k.file);
            JsonNode node = AbiJson.MAPPER.readTree(text);
            String id = node.path("$id").isString() ? node.path("$id").stringValue() : "urn:sluice:abi:v1:" + k.file;
            ids.put(k, id);
            byId.put(id, text);
        }
        // The schemas are self-contained and preloaded by $id, so nothing is ever fetched.
        SchemaRegistry registry =
                SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12, b -> b.schemas(byId));
        Map<Kind, Schema> schemas = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            schemas.put(k, registry.getSchema(SchemaLocation.of(ids.get(k))));
        }
        return new AbiSchemas(schemas);
    }

    private static String read(String file) {
        String path = RESOURCE_DIR + file;
        try (InputStream in = AbiSchemas.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("ABI schema " + path + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Runs every schema once so that the validator's lazy initialisation (keyword compilation, regex
     * patterns) happens at host start, not inside the first tenant's call.
     */
    public void warmUp() {
        for (Kind k : Kind.values()) {
            validate(k, AbiJson.MAPPER.createObjectNode(), 1);
        }
    }

    /** Validation messages, empty when the document matches; at most {@code max} of them. */
    public List<String> validate(Kind kind, JsonNode document, int max) {
        List<Error> errors = schemas.get(kind).validate(document);
        return errors.stream()
                .limit(max)
                .map(e -> e.getInstanceLocation() + ": " + e.getMessage())
                .collect(Collectors.toList());
    }
}
