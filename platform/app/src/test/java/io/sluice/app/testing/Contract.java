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
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

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

    /**
     * For multipart requests: the validator's RestAssured adapter cannot see multipart parts and reports every multipart
     * body as missing, so only that one message is relaxed. Tests validate the JSON parts themselves with
     * {@link #violations(String, String)}; the response is validated as always.
     */
    public static final OpenApiValidationFilter MULTIPART = filter(LevelResolver.create()
            .withLevel("validation.request.body.missing", ValidationReport.Level.IGNORE)
            .build());

    private static final OpenAPI MODEL = new OpenAPIV3Parser().read(FILE.toString());
    private static final SchemaValidator SCHEMAS = new SchemaValidator(MODEL, new MessageResolver());
    private static final Map<String, String> SSE_EVENTS = readSseEvents();

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

    /**
     * The contract's {@code x-sluice-sse-events} map of the task stream: SSE event name to the component schema of its
     * data. Read from the file itself, so a test never carries its own copy of the map.
     */
    public static Map<String, String> sseEventSchemas() {
        return SSE_EVENTS;
    }

    /**
     * The violations of one SSE event against the contract ("" when valid): an event name the contract does not list
     * is a violation, and so is data that is not valid against the event's schema.
     */
    public static String sseViolations(String eventName, String data) {
        String schema = SSE_EVENTS.get(eventName);
        if (schema == null) {
            return "event '" + eventName + "' is not one of " + SSE_EVENTS.keySet();
        }
        return violations(schema, data);
    }

    private static Map<String, String> readSseEvents() {
        try {
            JsonNode root = new YAMLMapper().readTree(FILE.toFile());
            Map<String, String> events = new TreeMap<>();
            root.path("paths").forEach(path -> path.forEach(operation -> operation.path("responses").forEach(response ->
                    response.path("content").path("text/event-stream").path("x-sluice-sse-events").fields().forEachRemaining(e -> {
                        String ref = e.getValue().path("$ref").asText();
                        events.put(e.getKey(), ref.substring(ref.lastIndexOf('/') + 1));
                    }))));
            if (events.isEmpty()) {
                throw new IllegalStateException("no x-sluice-sse-events map in " + FILE);
            }
            return Map.copyOf(events);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static OpenAPI model() {
        return MODEL;
    }
}
