package io.sluice.app.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;

/** Checks that an SBOM is CycloneDX JSON (CAT-2). */
@ApplicationScoped
public class SbomValidator {

    /** Null when {@code sbom} is a CycloneDX JSON document, else what is wrong with it. */
    public String problem(JsonNode sbom) {
        if (!sbom.isObject()) {
            return "not a JSON object";
        }
        if (!"CycloneDX".equals(sbom.path("bomFormat").asText(null))) {
            return "bomFormat must be 'CycloneDX'";
        }
        if (!sbom.path("specVersion").isTextual()) {
            return "specVersion is missing";
        }
        return null;
    }
}
