package io.sluice.benchmarks.policy;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The model-allowlist example written as plain Java, JSON in and JSON out, as a trusted in-process
 * policy would be if the platform had no sandbox. The baseline of the comparison.
 */
final class PlainJavaAllowlist {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String LABEL = "allowed-models";

    private PlainJavaAllowlist() {}

    /** Input JSON bytes to output JSON bytes, like the Wasm export. */
    static byte[] admit(byte[] inputJson) {
        JsonNode in = JSON.readTree(inputJson);
        String model = in.path("request").path("model_ref").stringValue();
        JsonNode tenant = in.path("tenant");
        List<String> allowed = new ArrayList<>();
        JsonNode label = tenant.path("labels").path(LABEL);
        if (label.isMissingNode()) {
            allowed.add("dev-tiny");
        } else {
            for (String p : label.stringValue().split(",")) {
                String t = p.trim();
                if (!t.isEmpty()) {
                    allowed.add(t);
                }
            }
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(128);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            if (allowed.contains(model)) {
                g.writeStringProperty("decision", "allow");
                g.writeStringProperty("reason", "model " + model + " is on the allow-list");
            } else {
                g.writeStringProperty("decision", "deny");
                g.writeStringProperty("reason", "model " + model + " is not on the allow-list of tenant "
                        + tenant.path("id").stringValue() + "; allowed: " + (allowed.isEmpty() ? "(none)" : String.join(", ", allowed)));
            }
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /** What the platform does with the answer: read the decision. */
    static String decision(byte[] outputJson) {
        return JSON.readTree(outputJson).path("decision").stringValue();
    }
}
