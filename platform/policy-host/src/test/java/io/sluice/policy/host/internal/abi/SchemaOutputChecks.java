package io.sluice.policy.host.internal.abi;

import io.sluice.policy.host.AdmitDecision;
import io.sluice.policy.host.Modifications;
import io.sluice.policy.host.Priority;
import io.sluice.policy.host.internal.abi.AbiJson.RequestFacts;
import io.sluice.policy.host.internal.abi.AbiSchemas.Kind;
import io.sluice.policy.host.internal.abi.OutputValidator.AdmitParts;
import io.sluice.policy.host.internal.abi.OutputValidator.InvalidOutput;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * The reference the streaming {@link OutputValidator} is proven against: the output checks as they were
 * before it (whole tree, then the networknt JSON Schema validator on the ABI schema, then the semantic
 * rules), kept verbatim here so that the reference cannot drift with the code under test.
 */
final class SchemaOutputChecks {
    private SchemaOutputChecks() {}

    static JsonNode parse(byte[] output, AbiSchemas schemas, Kind kind) throws InvalidOutput {
        if (output.length == 0) {
            throw new InvalidOutput("plugin returned success but set no output");
        }
        JsonNode root;
        try {
            root = AbiJson.MAPPER.readTree(output);
        } catch (JacksonException e) {
            throw new InvalidOutput("output is not a valid UTF-8 JSON document: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidOutput("output must be a JSON object");
        }
        List<String> problems = schemas.validate(kind, root, 3);
        if (!problems.isEmpty()) {
            throw new InvalidOutput("output does not match " + kind.file + ": " + String.join("; ", problems));
        }
        return root;
    }

    static AdmitParts admit(byte[] output, RequestFacts facts, AbiSchemas schemas) throws InvalidOutput {
        JsonNode root = parse(output, schemas, Kind.ADMIT_OUTPUT);
        AdmitDecision decision = AdmitDecision.fromWireName(root.path("decision").stringValue());
        String reason = root.path("reason").stringValue();
        if (reason.codePointCount(0, reason.length()) > 512) {
            throw new InvalidOutput("reason is longer than 512 code points");
        }
        JsonNode mods = root.get("modifications");
        if (decision != AdmitDecision.MODIFY) {
            if (mods != null) {
                throw new InvalidOutput("modifications are only allowed with decision 'modify'");
            }
            return new AdmitParts(decision, reason, Modifications.NONE);
        }
        if (mods == null || !mods.isObject() || mods.isEmpty()) {
            throw new InvalidOutput("decision 'modify' needs non-empty modifications");
        }
        return new AdmitParts(decision, reason, tightening(mods, facts));
    }

    private static Modifications tightening(JsonNode mods, RequestFacts facts) throws InvalidOutput {
        Integer maxTokens = null;
        Priority priority = null;
        Long deadlineMs = null;
        Map<String, String> labels = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : mods.properties()) {
            JsonNode v = e.getValue();
            switch (e.getKey()) {
                case "max_tokens" -> {
                    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 1) {
                        throw new InvalidOutput("modifications.max_tokens must be an integer >= 1");
                    }
                    if (v.intValue() > facts.maxTokens()) {
                        throw new InvalidOutput("modify loosens the request: max_tokens " + v.intValue()
                                + " is above the requested " + facts.maxTokens());
                    }
                    maxTokens = v.intValue();
                }
                case "priority" -> {
                    if (!v.isString() || !v.stringValue().equals(Priority.BATCH.wireName())) {
                        throw new InvalidOutput("modify loosens the request: priority may only become 'batch'");
                    }
                    priority = Priority.BATCH;
                }
                case "deadline_ms" -> {
                    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 1) {
                        throw new InvalidOutput("modifications.deadline_ms must be an integer >= 1");
                    }
                    if (v.longValue() > facts.deadlineMs()) {
                        throw new InvalidOutput("modify loosens the request: deadline_ms " + v.longValue()
                                + " is later than the requested " + facts.deadlineMs());
                    }
                    deadlineMs = v.longValue();
                }
                case "labels" -> {
                    if (!v.isObject() || v.isEmpty()) {
                        throw new InvalidOutput("modifications.labels must be a non-empty object");
                    }
                    for (Map.Entry<String, JsonNode> l : v.properties()) {
                        if (!l.getValue().isString()) {
                            throw new InvalidOutput("label '" + l.getKey() + "' must be a string");
                        }
                        String existing = facts.labels().get(l.getKey());
                        if (existing != null && !existing.equals(l.getValue().stringValue())) {
                            throw new InvalidOutput("modify may only add labels: it changes existing label '"
                                    + l.getKey() + "'");
                        }
                        labels.put(l.getKey(), l.getValue().stringValue());
                    }
                }
                default -> throw new InvalidOutput("unknown modification '" + e.getKey() + "'");
            }
        }
        return new Modifications(maxTokens, priority, deadlineMs, labels);
    }

    static List<String> route(byte[] output, RequestFacts facts, AbiSchemas schemas) throws InvalidOutput {
        JsonNode root = parse(output, schemas, Kind.ROUTE_OUTPUT);
        JsonNode order = root.path("order");
        if (!order.isArray() || order.isEmpty()) {
            throw new InvalidOutput("order must be a non-empty array of candidate replica ids");
        }
        List<String> ids = new ArrayList<>(order.size());
        Set<String> seen = new HashSet<>();
        for (JsonNode n : order.values()) {
            if (!n.isString()) {
                throw new InvalidOutput("order must contain replica id strings");
            }
            String id = n.stringValue();
            if (!facts.candidateIds().contains(id)) {
                throw new InvalidOutput("order names '" + id + "', which is not one of the candidates");
            }
            if (!seen.add(id)) {
                throw new InvalidOutput("order names '" + id + "' twice");
            }
            ids.add(id);
        }
        return ids;
    }
}
