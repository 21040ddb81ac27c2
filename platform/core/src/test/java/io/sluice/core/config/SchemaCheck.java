package io.sluice.core.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.List;

/** Validates configuration YAML against the generated JSON Schema with an independent validator (networknt). */
final class SchemaCheck {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Schema SCHEMA =
            SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(ConfigSchema.generate(), InputFormat.JSON);

    private SchemaCheck() {}

    /** "instance location: message" for every violation; empty when {@code yaml} matches the schema. */
    static List<String> errors(String yaml) {
        try {
            String json = JSON.writeValueAsString(YAML.readTree(yaml));
            return SCHEMA.validate(json, InputFormat.JSON).stream()
                    .map(e -> e.getInstanceLocation() + ": " + e.getMessage())
                    .toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
