package io.sluice.policy.host.internal.abi;

import io.sluice.policy.host.AdmitDecision;
import io.sluice.policy.host.Modifications;
import io.sluice.policy.host.PolicyValidationException;
import io.sluice.policy.host.Priority;
import io.sluice.policy.host.internal.abi.AbiJson.RequestFacts;
import io.sluice.policy.host.internal.abi.AbiSchemas.Kind;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.JsonNode;

/**
 * Checks guest output on the traffic path: one pass of a streaming parser enforces everything
 * {@code admit.output.schema.json} / {@code route.output.schema.json} say and the rules a schema cannot
 * express (a modify only tightens the request, a route order is a subset of the candidates). Stateless and
 * thread-safe.
 *
 * <p>The verdicts are the ones of the schema validator, not an approximation: a differential test feeds the
 * same outputs to {@link #parse} + the schema and to these checks. To keep that true, a change to either
 * output schema needs the same change here. Rejections keep the old order of precedence: malformed JSON
 * first, then the schema, then the tightening and candidate rules.
 */
public final class OutputValidator {
    private static final int MAX_SCHEMA_MESSAGES = 3;
    private static final int MAX_REASON_CODE_POINTS = 512;
    private static final int MAX_LABELS = 16;
    private static final int MAX_LABEL_VALUE_CODE_POINTS = 256;
    private static final int MAX_LABEL_KEY_CHARS = 63;
    private static final int MAX_ORDER_ITEMS = 1024;
    private static final int MAX_REPLICA_ID_CODE_POINTS = 256;
    /** Below this many ids a linear scan finds duplicates faster than hashing. */
    private static final int LINEAR_DUPLICATE_SCAN = 16;
    /** {@link Priority#wireName()} builds a new string on every call. */
    private static final String BATCH = Priority.BATCH.wireName();
    private static final String LABEL_KEY_PATTERN = "^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$";

    private OutputValidator() {}

    /** The guest's answer was not acceptable; the message says why, for the plugin author. */
    public static class InvalidOutput extends Exception {
        private static final long serialVersionUID = 1L;

        public InvalidOutput(String message) {
            super(message, null, false, false);
        }

        /** Why an upload is refused when this output came from an upload-time call; null for the generic reason. */
        public PolicyValidationException.Reason uploadReason() {
            return null;
        }
    }

    public record AdmitParts(AdmitDecision decision, String reason, Modifications modifications) {}

    /**
     * JSON tree + schema validation, as the traffic path did before the streaming checks. Kept for callers
     * that want the schema validator's own messages, and as the reference the streaming checks are tested
     * against.
     */
    static JsonNode parse(byte[] output, AbiSchemas schemas, Kind kind) throws InvalidOutput {
        if (output.length == 0) {
            throw new InvalidOutput("plugin returned success but set no output");
        }
        JsonNode root = readObject(output);
        List<String> problems = schemas.validate(kind, root, MAX_SCHEMA_MESSAGES);
        if (!problems.isEmpty()) {
            throw new InvalidOutput("output does not match " + kind.file + ": " + String.join("; ", problems));
        }
        return root;
    }

    private static JsonNode readObject(byte[] output) throws InvalidOutput {
        JsonNode root;
        try {
            root = AbiJson.MAPPER.readTree(output);
        } catch (JacksonException e) {
            throw malformed(e);
        }
        if (root == null || !root.isObject()) {
            throw new InvalidOutput("output must be a JSON object");
        }
        return root;
    }

    private static InvalidOutput malformed(JacksonException e) {
        return new InvalidOutput("output is not a valid UTF-8 JSON document: " + e.getOriginalMessage());
    }

    /**
     * A schema violation was found part-way through. Malformed JSON anywhere in the output, or a root that
     * is not an object, wins over it, as when the whole document was parsed before the schema ran; only
     * this rare path pays for a second parse.
     */
    private static InvalidOutput shape(byte[] output, Kind kind, String problem) {
        try {
            readObject(output);
        } catch (InvalidOutput malformedOrNotObject) {
            return malformedOrNotObject;
        }
        return new InvalidOutput("output does not match " + kind.file + ": " + problem);
    }

    /**
     * Jackson would silently decode UTF-16 or UTF-32 (it guesses from a BOM or from zero bytes among the
     * first four); the ABI says UTF-8. None of these bytes can open a UTF-8 JSON text, so refusing them
     * leaves only UTF-8 (with or without its BOM) for the parser.
     */
    private static JsonParser open(byte[] output) throws InvalidOutput {
        if (output.length == 0) {
            throw new InvalidOutput("plugin returned success but set no output");
        }
        for (int i = 0, n = Math.min(4, output.length); i < n; i++) {
            int b = output[i] & 0xff;
            if (b == 0x00 || b == 0xfe || b == 0xff) {
                throw new InvalidOutput("output is not a valid UTF-8 JSON document: byte 0x" + Integer.toHexString(b)
                        + " at offset " + i + " (UTF-16, UTF-32 or a stray byte; the ABI needs UTF-8)");
            }
        }
        try {
            return AbiJson.MAPPER.createParser(output);
        } catch (JacksonException e) {
            throw malformed(e);
        }
    }

    /** The parser reads further root values without complaint; the ABI allows exactly one. */
    private static void requireEnd(JsonParser p, byte[] output) throws InvalidOutput {
        if (p.nextToken() != null) {
            readObject(output); // throws, worded as the tree parser always worded trailing content
            throw new InvalidOutput("output is not a valid UTF-8 JSON document: content after the object");
        }
    }

    /**
     * Checks an admit output against {@code admit.output.schema.json} and {@code facts}.
     *
     * @param schemas unused on this path (the checks are compiled in); kept so callers need not change
     * @throws InvalidOutput naming the member and the rule it breaks
     */
    public static AdmitParts admit(byte[] output, RequestFacts facts, AbiSchemas schemas) throws InvalidOutput {
        try (JsonParser p = open(output)) {
            return new AdmitPass(output, facts).run(p);
        } catch (JacksonException e) {
            throw malformed(e);
        }
    }

    /**
     * Checks a route output against {@code route.output.schema.json} and the candidates in {@code facts}.
     *
     * @param schemas unused on this path (the checks are compiled in); kept so callers need not change
     * @throws InvalidOutput naming the member and the rule it breaks
     */
    public static List<String> route(byte[] output, RequestFacts facts, AbiSchemas schemas) throws InvalidOutput {
        try (JsonParser p = open(output)) {
            return routePass(p, output, facts);
        } catch (JacksonException e) {
            throw malformed(e);
        }
    }

    /** One streaming pass over an admit output; the first tightening violation is kept until the end. */
    private static final class AdmitPass {
        private final byte[] output;
        private final RequestFacts facts;
        private String loosening;
        private Integer maxTokens;
        private Priority priority;
        private Long deadlineMs;
        private Map<String, String> labels;

        AdmitPass(byte[] output, RequestFacts facts) {
            this.output = output;
            this.facts = facts;
        }

        private InvalidOutput shape(String problem) {
            return OutputValidator.shape(output, Kind.ADMIT_OUTPUT, problem);
        }

        AdmitParts run(JsonParser p) throws InvalidOutput {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw shape("output must be a JSON object");
            }
            AdmitDecision decision = null;
            String reason = null;
            boolean modifications = false;
            String name;
            while ((name = p.nextName()) != null) {
                JsonToken t = p.nextToken();
                switch (name) {
                    case "decision" -> decision = decision(p, t);
                    case "reason" -> reason = reason(p, t);
                    case "modifications" -> {
                        modifications(p, t);
                        modifications = true;
                    }
                    default -> throw shape(member("$", name) + " is not allowed; an admit output has only decision,"
                            + " reason and modifications (additionalProperties: false)");
                }
            }
            requireEnd(p, output);
            if (decision == null) {
                throw shape("$.decision is required");
            }
            if (reason == null) {
                throw shape("$.reason is required");
            }
            if (decision == AdmitDecision.MODIFY && !modifications) {
                throw shape("$.modifications is required when decision is 'modify'");
            }
            if (decision != AdmitDecision.MODIFY && modifications) {
                throw shape("$.modifications is only allowed when decision is 'modify'");
            }
            if (loosening != null) {
                throw new InvalidOutput(loosening);
            }
            if (decision != AdmitDecision.MODIFY) {
                return new AdmitParts(decision, reason, Modifications.NONE);
            }
            return new AdmitParts(decision, reason, new Modifications(maxTokens, priority, deadlineMs, labels));
        }

        private AdmitDecision decision(JsonParser p, JsonToken t) throws InvalidOutput {
            if (t == JsonToken.VALUE_STRING) {
                switch (p.getString()) {
                    case "allow":
                        return AdmitDecision.ALLOW;
                    case "deny":
                        return AdmitDecision.DENY;
                    case "modify":
                        return AdmitDecision.MODIFY;
                    default:
                        break;
                }
            }
            throw shape("$.decision must be one of \"allow\", \"deny\", \"modify\" (enum)");
        }

        private String reason(JsonParser p, JsonToken t) throws InvalidOutput {
            if (t != JsonToken.VALUE_STRING) {
                throw shape("$.reason must be a string");
            }
            String reason = p.getString();
            if (longerThan(reason, MAX_REASON_CODE_POINTS)) {
                throw shape("$.reason is longer than " + MAX_REASON_CODE_POINTS + " code points (maxLength)");
            }
            return reason;
        }

        private void modifications(JsonParser p, JsonToken t) throws InvalidOutput {
            if (t != JsonToken.START_OBJECT) {
                throw shape("$.modifications must be an object");
            }
            int count = 0;
            String name;
            while ((name = p.nextName()) != null) {
                count++;
                JsonToken v = p.nextToken();
                switch (name) {
                    case "max_tokens" -> maxTokens(p, v);
                    case "priority" -> {
                        if (v != JsonToken.VALUE_STRING || !BATCH.equals(p.getString())) {
                            throw shape("$.modifications.priority must be \"batch\" (const): a modify may only move"
                                    + " a request to batch");
                        }
                        priority = Priority.BATCH;
                    }
                    case "deadline_ms" -> deadlineMs(p, v);
                    case "labels" -> labels(p, v);
                    default -> throw shape(member("$.modifications", name) + " is not allowed; modifications has"
                            + " only max_tokens, priority, deadline_ms and labels (additionalProperties: false)");
                }
            }
            if (count == 0) {
                throw shape("$.modifications must have at least one member (minProperties: 1)");
            }
        }

        private void maxTokens(JsonParser p, JsonToken t) throws InvalidOutput {
            String path = "$.modifications.max_tokens";
            if (t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() == JsonParser.NumberType.INT) {
                int v = p.getIntValue();
                if (v < 1) {
                    throw shape(path + " must be an integer >= 1 (minimum: 1)");
                }
                if (v > facts.maxTokens()) {
                    loosen("modify loosens the request: max_tokens " + v + " is above the requested "
                            + facts.maxTokens());
                }
                maxTokens = v;
                return;
            }
            // Integral in the schema's eyes but not an int: the host's own rule rejects it.
            positiveIntegerOrShape(p, t, path);
            loosen("modifications.max_tokens must be an integer >= 1");
        }

        private void deadlineMs(JsonParser p, JsonToken t) throws InvalidOutput {
            String path = "$.modifications.deadline_ms";
            if (t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
                long v = p.getLongValue();
                if (v < 1) {
                    throw shape(path + " must be an integer >= 1 (minimum: 1)");
                }
                if (v > facts.deadlineMs()) {
                    loosen("modify loosens the request: deadline_ms " + v + " is later than the requested "
                            + facts.deadlineMs());
                }
                deadlineMs = v;
                return;
            }
            positiveIntegerOrShape(p, t, path);
            loosen("modifications.deadline_ms must be an integer >= 1");
        }

        /**
         * For a number the host cannot take as an int/long: passes when the schema would still call it an
         * integer >= 1 (1.0, 1e3, beyond long), so the caller reports the host's rule, as before; throws the
         * schema violation otherwise. Mirrors the validator: a float is an integer when it is finite and
         * integral as a double, and is compared with the minimum as a long.
         */
        private void positiveIntegerOrShape(JsonParser p, JsonToken t, String path) throws InvalidOutput {
            if (t == JsonToken.VALUE_NUMBER_INT) {
                BigInteger big = p.getBigIntegerValue();
                if (big.signum() > 0) {
                    return;
                }
                throw shape(path + " must be an integer >= 1 (minimum: 1)");
            }
            if (t == JsonToken.VALUE_NUMBER_FLOAT) {
                double d = p.getDoubleValue();
                if (Double.isFinite(d) && d == Math.rint(d)) {
                    if ((long) d >= 1) {
                        return;
                    }
                    throw shape(path + " must be an integer >= 1 (minimum: 1)");
                }
            }
            throw shape(path + " must be an integer (type: integer)");
        }

        private void labels(JsonParser p, JsonToken t) throws InvalidOutput {
            if (t != JsonToken.START_OBJECT) {
                throw shape("$.modifications.labels must be an object");
            }
            Map<String, String> added = new HashMap<>();
            String key;
            while ((key = p.nextName()) != null) {
                if (added.size() == MAX_LABELS) {
                    throw shape("$.modifications.labels has more than " + MAX_LABELS + " entries (maxProperties)");
                }
                if (!isLabelKey(key)) {
                    throw shape("$.modifications.labels key " + quoted(key) + " does not match " + LABEL_KEY_PATTERN
                            + " (propertyNames)");
                }
                if (p.nextToken() != JsonToken.VALUE_STRING) {
                    throw shape(member("$.modifications.labels", key) + " must be a string");
                }
                String value = p.getString();
                if (longerThan(value, MAX_LABEL_VALUE_CODE_POINTS)) {
                    throw shape(member("$.modifications.labels", key) + " is longer than "
                            + MAX_LABEL_VALUE_CODE_POINTS + " code points (maxLength)");
                }
                String existing = facts.labels().get(key);
                if (existing != null && !existing.equals(value)) {
                    loosen("modify may only add labels: it changes existing label '" + key + "'");
                }
                added.put(key, value);
            }
            if (added.isEmpty()) {
                throw shape("$.modifications.labels must have at least one entry (minProperties: 1)");
            }
            labels = added;
        }

        private void loosen(String message) {
            if (loosening == null) {
                loosening = message;
            }
        }
    }

    private static List<String> routePass(JsonParser p, byte[] output, RequestFacts facts) throws InvalidOutput {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw shape(output, Kind.ROUTE_OUTPUT, "output must be a JSON object");
        }
        List<String> ids = null;
        String notCandidate = null;
        String name;
        while ((name = p.nextName()) != null) {
            if (!name.equals("order")) {
                throw shape(output, Kind.ROUTE_OUTPUT, member("$", name)
                        + " is not allowed; a route output has only order (additionalProperties: false)");
            }
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw shape(output, Kind.ROUTE_OUTPUT, "$.order must be an array of replica ids");
            }
            ids = new ArrayList<>();
            Set<String> seen = null;
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                int index = ids.size();
                if (index == MAX_ORDER_ITEMS) {
                    throw shape(output, Kind.ROUTE_OUTPUT,
                            "$.order has more than " + MAX_ORDER_ITEMS + " items (maxItems)");
                }
                if (t != JsonToken.VALUE_STRING) {
                    throw shape(output, Kind.ROUTE_OUTPUT, "$.order[" + index + "] must be a string");
                }
                String id = p.getString();
                if (id.isEmpty() || longerThan(id, MAX_REPLICA_ID_CODE_POINTS)) {
                    throw shape(output, Kind.ROUTE_OUTPUT, "$.order[" + index + "] must be 1 to "
                            + MAX_REPLICA_ID_CODE_POINTS + " code points long (minLength, maxLength)");
                }
                boolean duplicate;
                if (seen == null && index < LINEAR_DUPLICATE_SCAN) {
                    duplicate = ids.contains(id);
                } else {
                    if (seen == null) {
                        seen = new HashSet<>(ids);
                    }
                    duplicate = !seen.add(id);
                }
                if (duplicate) {
                    throw shape(output, Kind.ROUTE_OUTPUT, "$.order[" + index + "] repeats " + quoted(id)
                            + " (uniqueItems)");
                }
                if (notCandidate == null && !facts.candidateIds().contains(id)) {
                    notCandidate = "order names '" + id + "', which is not one of the candidates";
                }
                ids.add(id);
            }
            if (ids.isEmpty()) {
                throw shape(output, Kind.ROUTE_OUTPUT, "$.order must name at least one replica (minItems: 1)");
            }
        }
        requireEnd(p, output);
        if (ids == null) {
            throw shape(output, Kind.ROUTE_OUTPUT, "$.order is required");
        }
        if (notCandidate != null) {
            throw new InvalidOutput(notCandidate);
        }
        return ids;
    }

    /** JSON Schema lengths count code points; a string has at least half as many as chars. */
    private static boolean longerThan(String s, int maxCodePoints) {
        int chars = s.length();
        return chars > maxCodePoints && (chars > 2 * maxCodePoints || s.codePointCount(0, chars) > maxCodePoints);
    }

    /** {@code ^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$}, where {@code $} means the very end. */
    static boolean isLabelKey(String key) {
        int n = key.length();
        if (n == 0 || n > MAX_LABEL_KEY_CHARS || !isLowerAlnum(key.charAt(0)) || !isLowerAlnum(key.charAt(n - 1))) {
            return false;
        }
        for (int i = 1; i < n - 1; i++) {
            char c = key.charAt(i);
            if (!isLowerAlnum(c) && c != '.' && c != '_' && c != '/' && c != '-') {
                return false;
            }
        }
        return true;
    }

    private static boolean isLowerAlnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }

    private static String member(String parent, String name) {
        return isLabelKey(name) ? parent + "." + name : parent + "[" + quoted(name) + "]";
    }

    /** A name or id from the guest, shortened and with control characters escaped, for a log-safe message. */
    private static String quoted(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 64) + 8).append('\'');
        int end = Math.min(s.length(), 64);
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (end < s.length()) {
            b.append("...");
        }
        return b.append('\'').toString();
    }
}
