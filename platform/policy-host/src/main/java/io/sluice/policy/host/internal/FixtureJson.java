package io.sluice.policy.host.internal;

import io.sluice.policy.host.AdmitDecision;
import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.FixtureResult;
import io.sluice.policy.host.Hook;
import io.sluice.policy.host.Modifications;
import io.sluice.policy.host.PolicyErrorKind;
import io.sluice.policy.host.PolicyFixture;
import io.sluice.policy.host.PolicyFixture.Expectation;
import io.sluice.policy.host.Priority;
import io.sluice.policy.host.RouteOutcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/** Reads fixture documents and judges outcomes against them. */
public final class FixtureJson {
    private FixtureJson() {}

    public static PolicyFixture parse(String source, String json) {
        JsonNode root;
        try {
            root = AbiJson.MAPPER.readTree(json);
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
        return new PolicyFixture(name, hook, AbiJson.MAPPER.writeValueAsString(input), expectation(source, expect));
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

    public static String withTenant(String inputJson, String tenantId) {
        JsonNode root = AbiJson.MAPPER.readTree(inputJson);
        if (!(root.path("tenant") instanceof tools.jackson.databind.node.ObjectNode tenant)) {
            throw new IllegalArgumentException("fixture input has no tenant object");
        }
        tenant.put("id", tenantId);
        return AbiJson.MAPPER.writeValueAsString(root);
    }

    /** Judges an outcome against the fixture's expectation. */
    public static FixtureResult judge(PolicyFixture fixture, AdmitOutcome admit, RouteOutcome route) {
        Expectation x = fixture.expect();
        List<String> problems = new ArrayList<>();
        boolean isError = admit != null ? admit.isError() : route.isError();
        if (x.error() != null) {
            PolicyErrorKind actual = isError ? (admit != null ? admit.error().kind() : route.error().kind()) : null;
            if (actual != x.error()) {
                problems.add("expected error " + x.error().label() + ", got " + describe(admit, route));
            }
        } else if (isError) {
            problems.add("expected a decision, got " + describe(admit, route));
        } else if (admit != null) {
            if (x.decision() != null && admit.decision() != x.decision()) {
                problems.add("expected decision " + x.decision().wireName() + ", got " + admit.decision().wireName()
                        + " (reason: \"" + admit.reason() + "\")");
            }
            if (x.modifications() != null && !x.modifications().equals(admit.modifications())) {
                problems.add("expected modifications " + x.modifications() + ", got " + admit.modifications());
            }
            if (x.reasonContains() != null && !admit.reason().contains(x.reasonContains())) {
                problems.add("expected the reason to contain \"" + x.reasonContains() + "\", got \"" + admit.reason() + "\"");
            }
            if (x.order() != null) {
                problems.add("'order' can only be expected of a route fixture");
            }
        } else {
            if (x.order() != null && !x.order().equals(route.order())) {
                problems.add("expected order " + x.order() + ", got " + route.order());
            }
            if (x.decision() != null || x.modifications() != null || x.reasonContains() != null) {
                problems.add("a route fixture can only expect 'order' or 'error'");
            }
        }
        return new FixtureResult(fixture, problems.isEmpty(), problems.isEmpty() ? null : String.join("; ", problems), admit, route);
    }

    private static String describe(AdmitOutcome admit, RouteOutcome route) {
        if (admit != null) {
            return admit.isError()
                    ? "error " + admit.error().kind().label() + " (" + admit.error().message() + ")"
                    : "decision " + admit.decision().wireName();
        }
        return route.isError()
                ? "error " + route.error().kind().label() + " (" + route.error().message() + ")"
                : "order " + route.order();
    }
}
