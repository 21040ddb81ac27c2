package io.sluice.core.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks that an SBOM is a CycloneDX JSON document (CAT-2) against the official CycloneDX JSON schemas of the spec
 * version it names (1.4, 1.5, 1.6), kept as data under {@code catalog/cyclonedx/} (taken from
 * {@code org.cyclonedx:cyclonedx-core-java} 12.1.0, Apache-2.0). The schemas and the documents they reference (SPDX
 * license ids, JSF) are preloaded by their {@code $id}, so nothing is ever fetched. Thread-safe; loading the schemas
 * takes a moment, so one instance is shared per process (the platform's catalog and the functions each hold one).
 */
public final class SbomValidator {
    private static final String DIR = "catalog/cyclonedx/";
    private static final List<String> VERSIONS = List.of("1.4", "1.5", "1.6");
    private static final int MAX_MESSAGES = 3;

    private final Map<String, Schema> bySpecVersion = new HashMap<>();

    public SbomValidator() {
        Map<String, String> byId = new HashMap<>();
        for (String file : List.of("spdx.schema.json", "jsf-0.82.schema.json")) {
            byId.put("http://cyclonedx.org/schema/" + file, read(file));
        }
        for (String v : VERSIONS) {
            byId.put("http://cyclonedx.org/schema/bom-" + v + ".schema.json", read("bom-" + v + ".schema.json"));
        }
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7, b -> b.schemas(byId));
        for (String v : VERSIONS) {
            bySpecVersion.put(v, registry.getSchema(SchemaLocation.of("http://cyclonedx.org/schema/bom-" + v + ".schema.json")));
        }
    }

    /** Null when {@code sbom} is a valid CycloneDX JSON document, else what is wrong with it. */
    public String problem(JsonNode sbom) {
        if (!sbom.isObject()) {
            return "not a JSON object";
        }
        if (!"CycloneDX".equals(sbom.path("bomFormat").asText(null))) {
            return "bomFormat must be 'CycloneDX'";
        }
        String version = sbom.path("specVersion").asText(null);
        Schema schema = version == null ? null : bySpecVersion.get(version);
        if (schema == null) {
            return "specVersion must be one of " + VERSIONS;
        }
        List<Error> errors = schema.validate(sbom.toString(), InputFormat.JSON);
        if (errors.isEmpty()) {
            return null;
        }
        StringBuilder out = new StringBuilder("not valid CycloneDX " + version + ":");
        errors.stream().limit(MAX_MESSAGES).forEach(e -> out.append(' ').append(e.getInstanceLocation()).append(": ").append(e.getMessage()).append(';'));
        return out.length() > 1000 ? out.substring(0, 1000) : out.toString();
    }

    private static String read(String file) {
        try (InputStream in = SbomValidator.class.getClassLoader().getResourceAsStream(DIR + file)) {
            if (in == null) {
                throw new IllegalStateException("CycloneDX schema " + DIR + file + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
