package io.sluice.app.testing;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.MessageResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import com.atlassian.oai.validator.restassured.OpenApiValidationFilter;
import com.atlassian.oai.validator.schema.SchemaValidator;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.parser.OpenAPIV3Parser;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The contract ({@code openapi/sluice-v1.yaml}) as tests use it: a RestAssured filter validating every request
 * and response, and schema checks for SSE event payloads, which a plain-string stream body cannot carry.
 */
public final class Contract {
    public static final Path FILE = Path.of(System.getProperty("test.repo.root", "../.."), "openapi", "sluice-v1.yaml");

    /** Validates requests and responses strictly. */
    public static final OpenApiValidationFilter STRICT = filter(LevelResolver.create());

    /**
     * For tests that deliberately send no or a bad token: only the request-side security check is relaxed; the
     * response (401/403 body and headers) is still validated.
     */
    public static final OpenApiValidationFilter NO_TOKEN = filter(LevelResolver.create()
            .withLevel("validation.request.security.missing", ValidationReport.Level.IGNORE)
            .build());

    /** For tests that deliberately send what the contract forbids (bad input); responses stay validated. */
    public static final OpenApiValidationFilter RESPONSES_ONLY = filter(LevelResolver.create()
            .withLevel("validation.request", ValidationReport.Level.IGNORE)
            .build());

    private static final OpenAPI MODEL = new OpenAPIV3Parser().read(FILE.toString());
    private static final SchemaValidator SCHEMAS = new SchemaValidator(MODEL, new MessageResolver());

    private Contract() {}

    private static OpenApiValidationFilter filter(LevelResolver.Builder levels) {
        return filter(levels.build());
    }

    private static OpenApiValidationFilter filter(LevelResolver levels) {
        if (!Files.exists(FILE)) {
            throw new IllegalStateException("contract not found at " + FILE.toAbsolutePath());
        }
        return new OpenApiValidationFilter(OpenApiInteractionValidator.createForSpecificationUrl(FILE.toUri().toString())
                .withLevelResolver(levels)
                .build());
    }

    /** Validates a JSON document against a named component schema; returns the report's messages ("" when valid). */
    public static String violations(String schemaName, String json) {
        Schema<?> schema = MODEL.getComponents().getSchemas().get(schemaName);
        if (schema == null) {
            throw new IllegalArgumentException("no schema " + schemaName + " in the contract");
        }
        ValidationReport report = SCHEMAS.validate(json, schema, "sse." + schemaName);
        return report.hasErrors() ? report.getMessages().toString() : "";
    }

    public static OpenAPI model() {
        return MODEL;
    }
}
