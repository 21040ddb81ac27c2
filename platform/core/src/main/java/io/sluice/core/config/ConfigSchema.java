package io.sluice.core.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.core.task.WireEnum;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Generates the JSON Schema of the YAML configuration from the {@link SluiceConfig} records (SPEC CFG-1).
 *
 * <p>The records are the single source: properties come from record components in declaration order, named as the
 * loader names them (snake_case), enums list their YAML spellings, and every object forbids unknown properties as
 * strict mode does (CFG-2). What reflection cannot see lives next to it: descriptions in
 * {@code config-schema.properties} (keyed by the property's path, e.g. {@code pools[].replicas[].url}; a property
 * without one fails generation, so a new field cannot go undocumented) and the value constraints below, which mirror
 * {@link ConfigLoader}'s checks. Output is a pure function of the classes and that file: fixed key order, two-space
 * indentation, LF line ends, so regeneration is byte-identical.
 */
public final class ConfigSchema {
    /** Where the schema is checked in, relative to the repository root. */
    public static final String CHECKED_IN_PATH = "docs/config/sluice-config.schema.json";

    private static final PropertyNamingStrategies.NamingBase SNAKE =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

    /** Constraints the loader enforces, by property path; each value is a JSON object merged into the property. */
    private static final Map<String, String> CONSTRAINTS = constraints();

    /** Properties without which the loader refuses the file. */
    private static final Map<String, List<String>> REQUIRED = Map.of(
            "pools[]", List.of("id", "model", "engine", "replicas"),
            "pools[].replicas[]", List.of("id", "url"));

    private static Map<String, String> constraints() {
        Map<String, String> c = new LinkedHashMap<>();
        String id = "{\"pattern\":\"" + ConfigLoader.ID.pattern().replace("\\", "\\\\") + "\"}";
        c.put("pools[].id", id);
        c.put("pools[].model", "{\"minLength\":1}");
        c.put("pools[].ctx_max", "{\"minimum\":1}");
        String label = "{\"pattern\":\"" + ConfigLoader.LABEL.pattern().replace("\\", "\\\\") + "\"}";
        c.put("pools[].quant", label);
        c.put("pools[].sampler_profile_version", label);
        c.put("pools[].kv_bytes_per_token", "{\"minimum\":1}");
        // The syntax DeviceMask.parse accepts; it also refuses indices above 1023 and backward ranges.
        c.put("pools[].device_mask", "{\"pattern\":\"^ *[0-9]{1,4}( *- *[0-9]{1,4})?( *, *[0-9]{1,4}( *- *[0-9]{1,4})?)* *$\"}");
        c.put("pools[].queue.capacity{}", "{\"minimum\":0}");
        c.put("pools[].watchdog.wall_ms", "{\"exclusiveMinimum\":0}");
        c.put("pools[].watchdog.idle_ms", "{\"exclusiveMinimum\":0}");
        c.put("pools[].replicas", "{\"minItems\":1}");
        c.put("pools[].replicas[].id", id);
        c.put("pools[].replicas[].url", "{\"pattern\":\"^https?://\"}");
        c.put("pools[].replicas[].api_key", "{\"pattern\":\"^[\\\\x21-\\\\x7e]*$\"}");
        c.put("scheduling.priority_weights{}", "{\"exclusiveMinimum\":0}");
        c.put("scheduling.default_tenant_weight", "{\"exclusiveMinimum\":0}");
        for (String p : List.of("admission.max_body_bytes", "admission.policy.call_timeout_ms",
                "admission.policy.call_wall_timeout_ms", "admission.policy.memory_bytes", "admission.policy.output_bytes",
                "admission.policy.module_bytes", "admission.policy.uploads_per_minute", "admission.policy.upload_burst",
                "admission.policy.shadow.queue_capacity", "admission.policy.shadow.threads",
                "admission.policy.shadow.record_queue_capacity", "admission.policy.shadow.record_batch",
                "admission.policy.shadow.record_flush_ms", "admission.policy.shadow.retention_hours",
                "admission.policy.shadow.replay_max_records", "defaults.sessions.ttl_ms", "defaults.sessions.max_turns",
                "defaults.sessions.tokens_budget", "defaults.sessions.time_budget_ms", "defaults.sessions.cost_budget")) {
            c.put(p, "{\"exclusiveMinimum\":0}");
        }
        c.put("defaults.sessions.cost_per_1k_prompt_tokens", "{\"minimum\":0}");
        c.put("defaults.sessions.cost_per_1k_output_tokens", "{\"minimum\":0}");
        c.put("trust.roots[]", "{\"pattern\":\"" + ConfigLoader.TRUST_ROOT.pattern().replace("\\", "\\\\") + "\"}");
        return Map.copyOf(c);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Properties descriptions;

    private ConfigSchema(Properties descriptions) {
        this.descriptions = descriptions;
    }

    /** The schema as the text checked in at {@link #CHECKED_IN_PATH}. */
    public static String generate() {
        return toText(generateTree());
    }

    /** The schema as a tree, for generating the configuration reference. */
    public static ObjectNode generateTree() {
        ConfigSchema g = new ConfigSchema(loadDescriptions());
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
        root.put("$id", "https://sluice.dev/schemas/sluice-config.schema.json");
        root.put("title", "Sluice configuration");
        g.objectOf(SluiceConfig.class, "", root);
        return root;
    }

    static String toText(ObjectNode tree) {
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n"));
        try {
            return JSON.writer(printer).writeValueAsString(tree) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void objectOf(Class<?> record, String path, ObjectNode into) {
        into.put("type", "object");
        into.put("description", describe(path.isEmpty() ? "$" : path));
        ObjectNode properties = into.putObject("properties");
        for (RecordComponent rc : record.getRecordComponents()) {
            String name = propertyName(rc);
            String childPath = path.isEmpty() ? name : path + "." + name;
            properties.set(name, schemaOf(rc.getGenericType(), childPath, true));
        }
        List<String> required = REQUIRED.get(path);
        if (required != null) {
            ArrayNode r = into.putArray("required");
            required.forEach(r::add);
        }
        into.put("additionalProperties", false);
    }

    private ObjectNode schemaOf(Type type, String path, boolean described) {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        Class<?> raw = rawClass(type);
        if (raw.isRecord()) {
            objectOf(raw, path, s);
            return s;
        }
        if (described) {
            s.put("description", describe(path));
        }
        if (raw == String.class) {
            s.put("type", "string");
        } else if (raw == Integer.class || raw == int.class || raw == Long.class || raw == long.class) {
            s.put("type", "integer");
        } else if (raw == Double.class || raw == double.class) {
            s.put("type", "number");
        } else if (raw == Boolean.class || raw == boolean.class) {
            s.put("type", "boolean");
        } else if (raw.isEnum()) {
            s.put("type", "string");
            ArrayNode values = s.putArray("enum");
            spellings(raw).forEach(values::add);
        } else if (List.class.isAssignableFrom(raw)) {
            s.put("type", "array");
            s.set("items", schemaOf(typeArgument(type, 0), path + "[]", false));
        } else if (Map.class.isAssignableFrom(raw)) {
            s.put("type", "object");
            Class<?> key = rawClass(typeArgument(type, 0));
            if (key.isEnum()) {
                ObjectNode names = s.putObject("propertyNames");
                ArrayNode values = names.putArray("enum");
                spellings(key).forEach(values::add);
            }
            s.set("additionalProperties", schemaOf(typeArgument(type, 1), path + "{}", false));
        } else {
            throw new IllegalStateException(path + ": no JSON Schema mapping for " + type.getTypeName());
        }
        String constraint = CONSTRAINTS.get(path);
        if (constraint != null) {
            try {
                ObjectNode extra = (ObjectNode) JSON.readTree(constraint);
                extra.fields().forEachRemaining(e -> s.set(e.getKey(), e.getValue()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return s;
    }

    /**
     * The JSON paths (e.g. {@code $.pools[0].colour}) of the properties in {@code tree} that the model does not have,
     * in document order: what compat mode ignores and reports (CFG-2).
     */
    public static List<String> unknownFields(JsonNode tree) {
        List<String> out = new ArrayList<>();
        unknown(tree, SluiceConfig.class, "$", out);
        return out;
    }

    private static void unknown(JsonNode node, Type type, String path, List<String> out) {
        Class<?> raw = rawClass(type);
        if (raw.isRecord() && node.isObject()) {
            Map<String, Type> components = new LinkedHashMap<>();
            for (RecordComponent rc : raw.getRecordComponents()) {
                components.put(propertyName(rc), rc.getGenericType());
            }
            node.fields().forEachRemaining(e -> {
                Type child = components.get(e.getKey());
                if (child == null) {
                    out.add(path + "." + e.getKey());
                } else {
                    unknown(e.getValue(), child, path + "." + e.getKey(), out);
                }
            });
        } else if (List.class.isAssignableFrom(raw) && node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                unknown(node.get(i), typeArgument(type, 0), path + "[" + i + "]", out);
            }
        } else if (Map.class.isAssignableFrom(raw) && node.isObject()) {
            node.fields().forEachRemaining(e -> unknown(e.getValue(), typeArgument(type, 1), path + "." + e.getKey(), out));
        }
    }

    private static String propertyName(RecordComponent rc) {
        JsonProperty explicit = rc.getAccessor().getAnnotation(JsonProperty.class);
        return explicit != null && !explicit.value().isEmpty() ? explicit.value() : SNAKE.translate(rc.getName());
    }

    private String describe(String path) {
        String d = descriptions.getProperty(path);
        if (d == null || d.isBlank()) {
            throw new IllegalStateException("config-schema.properties has no description for '" + path
                    + "': describe every configuration property there");
        }
        return d.strip();
    }

    /** The YAML spellings of an enum: {@link WireEnum#wire()}, a {@link JsonValue} method, or the constant's name. */
    static List<String> spellings(Class<?> enumType) {
        List<String> out = new ArrayList<>();
        Method jsonValue = null;
        for (Method m : enumType.getMethods()) {
            if (m.isAnnotationPresent(JsonValue.class) && m.getParameterCount() == 0) {
                jsonValue = m;
            }
        }
        for (Object constant : enumType.getEnumConstants()) {
            try {
                if (constant instanceof WireEnum w) {
                    out.add(w.wire());
                } else if (jsonValue != null) {
                    out.add(String.valueOf(jsonValue.invoke(constant)));
                } else {
                    out.add(((Enum<?>) constant).name());
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(enumType + ": " + e, e);
            }
        }
        return out;
    }

    private static Class<?> rawClass(Type t) {
        if (t instanceof Class<?> c) {
            return c;
        }
        if (t instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        throw new IllegalStateException("unsupported type " + t.getTypeName());
    }

    private static Type typeArgument(Type t, int i) {
        if (t instanceof ParameterizedType p) {
            return p.getActualTypeArguments()[i];
        }
        throw new IllegalStateException("raw collection type " + t.getTypeName() + " in the configuration model");
    }

    private static Properties loadDescriptions() {
        Properties p = new Properties();
        try (InputStream in = ConfigSchema.class.getResourceAsStream("config-schema.properties")) {
            if (in == null) {
                throw new IllegalStateException("io/sluice/core/config/config-schema.properties is missing");
            }
            p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
