package io.sluice.policy.host;

import io.sluice.policy.host.PolicyFixture.Expectation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the JSON form of a {@link PolicyFixture}. It lives beside the record, not in the host's internals,
 * so that the API depends on nothing behind its boundary (the internals judge fixtures, which needs the
 * record: one direction only).
 */
final class FixtureDocuments {
    /** Duplicate keys are errors, as in every ABI document the host reads. */
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private FixtureDocuments() {}

    static PolicyFixture parse(String source, String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + ": a fixture must be a JSON object");
        }
        for (String field : root.propertyNames()) {
            if (!List.of("name", "hook", "input", "expect", "description").contains(field)) {
                throw new IllegalArgumentException(source + ": unknown fixture field '" + field + "'");
            }
        }
        String name = root.path("name").isString() ? root.path("name").stringValue() : source;
        if (!root.path("hook").isString()) {
            throw new IllegalArgumentException(source + ": 'hook' must be \"admit\" or \"route\"");
        }
        Hook hook = Hook.fromWireName(root.path("hook").stringValue());
        JsonNode input = root.path("input");
        if (!input.isObject()) {
            throw new IllegalArgumentException(source + ": 'input' must be an object holding the ABI input");
        }
        JsonNode expect = root.path("expect");
        if (!expect.isObject()) {
            throw new IllegalArgumentException(source + ": 'expect' must be an object");
        }
        return new PolicyFixture(name, hook, MAPPER.writeValueAsString(input), expectation(source, expect));
    }

    private static Expectation expectation(String source, JsonNode e) {
        AdmitDecision decision = null;
        Modifications mods = null;
        List<String> order = null;
        String reasonContains = null;
        PolicyErrorKind error = null;
        for (Map.Entry<String, JsonNode> f : e.properties()) {
            JsonNode v = f.getValue();
            switch (f.getKey()) {
                case "decision" -> decision = AdmitDecision.fromWireName(text(source, f.getKey(), v));
                case "reason_contains" -> reasonContains = text(source, f.getKey(), v);
                case "error" -> error = PolicyErrorKind.valueOf(text(source, f.getKey(), v).toUpperCase(Locale.ROOT));
                case "order" -> {
                    order = new ArrayList<>();
                    for (JsonNode id : v.values()) {
                        order.add(text(source, "order[]", id));
                    }
                }
                case "modifications" -> mods = modifications(source, v);
                default -> throw new IllegalArgumentException(source + ": unknown expectation '" + f.getKey() + "'");
            }
        }
        return new Expectation(decision, mods, order, reasonContains, error);
    }

    private static Modifications modifications(String source, JsonNode v) {
        if (!v.isObject()) {
            throw new IllegalArgumentException(source + ": expect.modifications must be an object");
        }
        Integer maxTokens = v.has("max_tokens") ? v.get("max_tokens").intValue() : null;
        Priority priority = v.has("priority") ? Priority.fromWireName(text(source, "priority", v.get("priority"))) : null;
        Long deadline = v.has("deadline_ms") ? v.get("deadline_ms").longValue() : null;
        Map<String, String> labels = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> l : v.path("labels").properties()) {
            labels.put(l.getKey(), text(source, "labels." + l.getKey(), l.getValue()));
        }
        return new Modifications(maxTokens, priority, deadline, labels);
    }

    private static String text(String source, String field, JsonNode v) {
        if (!v.isString()) {
            throw new IllegalArgumentException(source + ": '" + field + "' must be a string");
        }
        return v.stringValue();
    }

    static String withTenant(String inputJson, String tenantId) {
        JsonNode root = MAPPER.readTree(inputJson);
        if (!(root.path("tenant") instanceof tools.jackson.databind.node.ObjectNode tenant)) {
            throw new IllegalArgumentException("fixture input has no tenant object");
        }
        tenant.put("id", tenantId);
        return MAPPER.writeValueAsString(root);
    }
}
