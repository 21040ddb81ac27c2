package io.sluice.app.tasks;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Contract;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every bad input answers a typed 400, the process stays up and nothing stored changes (ADM-3, REL-3). */
@QuarkusTest
class BadInputTest extends ApiTest {
    private static final String TENANT = "bad-input-tenant";
    private long tasksBefore;
    private long sessionsBefore;

    @BeforeEach
    void snapshot() {
        tasksBefore = countRows("tasks");
        sessionsBefore = countRows("sessions");
    }

    @AfterEach
    void nothingStoredAndStillServing() {
        assertThat(countRows("tasks")).as("tasks stored").isEqualTo(tasksBefore);
        assertThat(countRows("sessions")).as("sessions stored").isEqualTo(sessionsBefore);
        given().get("/q/health/live").then().statusCode(200);
    }

    private static ValidatableResponse post(byte[] raw) {
        return given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT))
                .contentType("application/json").body(raw).post("/v1/tasks").then();
    }

    private static ValidatableResponse post(String raw) {
        return post(raw.getBytes(StandardCharsets.UTF_8));
    }

    static Stream<Arguments> badFields() {
        return Stream.of(
                Arguments.of("max_tokens", "\"16\""),
                Arguments.of("max_tokens", "16.5"),
                Arguments.of("max_tokens", "0"),
                Arguments.of("max_tokens", "-3"),
                Arguments.of("max_tokens", "99999999999999999999999"),
                Arguments.of("deadline_ms", "true"),
                Arguments.of("deadline_ms", "86400001"),
                Arguments.of("priority", "\"urgent\""),
                Arguments.of("workload", "\"translate\""),
                Arguments.of("engine", "\"ollama\""),
                Arguments.of("kv_hint", "7"),
                Arguments.of("task_id", "\"not-a-uuid\""),
                Arguments.of("prompt", "[\"a\"]"),
                Arguments.of("labels", "{\"k\": 5}"),
                Arguments.of("ctx", "9999999999"),
                Arguments.of("model_ref", "\"\""));
    }

    @ParameterizedTest(name = "ADM-3 REL-3 {0}={1} answers 400 INVALID_PARAMS naming the field")
    @MethodSource("badFields")
    void wrongValues(String field, String jsonValue) {
        Map<String, Object> body = task("dev-tiny");
        body.remove(field);
        String base = new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(body).toString();
        String json = base.substring(0, base.length() - 1) + ",\"" + field + "\":" + jsonValue + "}";
        post(json).statusCode(400)
                .body("code", equalTo("INVALID_PARAMS"))
                .body("field", org.hamcrest.Matchers.startsWith(field));
    }

    @Test
    @DisplayName("ADM-3 REL-3 malformed JSON, trailing garbage, duplicate keys and a non-object body answer 400")
    void malformedJson() {
        post("{not json").statusCode(400).body("code", equalTo("INVALID_PARAMS"));
        post("{\"task_id\": \"x\"} trailing").statusCode(400).body("code", equalTo("INVALID_PARAMS"));
        post("[1,2,3]").statusCode(400).body("code", equalTo("INVALID_PARAMS"));
        post("").statusCode(400).body("code", equalTo("INVALID_PARAMS"));
        Map<String, Object> body = task("dev-tiny");
        String base = new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(body).toString();
        post(base.substring(0, base.length() - 1) + ",\"max_tokens\":3}").statusCode(400).body("code", equalTo("INVALID_PARAMS"));
    }

    @Test
    @DisplayName("ADM-3 an unknown member and a missing required member answer 400 naming the field")
    void unknownAndMissingMembers() {
        Map<String, Object> body = task("dev-tiny");
        body.put("temperature", 0.7);
        given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT))
                .contentType(ContentType.JSON).body(body).post("/v1/tasks").then()
                .statusCode(400).body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("temperature"));
        Map<String, Object> missing = task("dev-tiny");
        missing.remove("model_ref");
        given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT))
                .contentType(ContentType.JSON).body(missing).post("/v1/tasks").then()
                .statusCode(400).body("field", equalTo("model_ref")).body("stage", equalTo("validate"));
    }

    @Test
    @DisplayName("REL-3 invalid UTF-8 in the body answers 400")
    void invalidUtf8() {
        Map<String, Object> body = task("dev-tiny");
        String base = new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(body).toString()
                .replace("Hello, Sluice", "Hello XX");
        byte[] bytes = base.getBytes(StandardCharsets.UTF_8);
        int at = base.indexOf("XX");
        bytes[at] = (byte) 0xC3;
        bytes[at + 1] = (byte) 0x28; // an invalid two-byte sequence
        post(bytes).statusCode(400).body("code", equalTo("INVALID_PARAMS"));
    }

    @Test
    @DisplayName("ADM-3 REL-3 a body above 1 MiB answers 400 INVALID_PARAMS before it is read")
    void oversizeBody() {
        Map<String, Object> body = task("dev-tiny");
        body.put("prompt", "x".repeat(1_048_577));
        given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT))
                .contentType(ContentType.JSON).body(body).post("/v1/tasks").then()
                .statusCode(400).body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("body"));
    }

    @Test
    @DisplayName("ADM-3 REL-3 a chunked body without a length is refused with the same typed 400 once it passes 1 MiB")
    void oversizeChunkedBody() throws Exception {
        byte[] big = ("{\"prompt\":\"" + "x".repeat(2_000_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(baseUrl() + "/v1/tasks"))
                .header("Authorization", "Bearer " + tenantToken(TENANT))
                .header("Content-Type", "application/json")
                // an InputStream publisher has no length, so the client sends Transfer-Encoding: chunked
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big)))
                .build();
        var resp = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build()
                .send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(resp.statusCode()).isEqualTo(400);
        assertThat(resp.body()).contains("\"code\":\"INVALID_PARAMS\"").contains("\"field\":\"body\"");
        assertThat(io.sluice.app.testing.Contract.violations("Error", resp.body())).isEmpty();
    }

    @Test
    @DisplayName("ADM-3 an unknown model is 404 naming model_ref; a prompt over the context budget is 400")
    void modelAndBudget() {
        Map<String, Object> unknown = task("no-such-model");
        given().filter(Contract.STRICT).header("Authorization", "Bearer " + tenantToken(TENANT)).contentType(ContentType.JSON)
                .body(unknown).post("/v1/tasks").then()
                .statusCode(404).body("code", equalTo("NOT_FOUND")).body("field", equalTo("model_ref"))
                .body("stage", equalTo("resolve_model"));
        Map<String, Object> huge = task("dev-tiny");
        huge.put("max_tokens", 8000);
        given().filter(Contract.STRICT).header("Authorization", "Bearer " + tenantToken(TENANT)).contentType(ContentType.JSON)
                .body(huge).post("/v1/tasks").then()
                .statusCode(400).body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("max_tokens"));
        Map<String, Object> ctx = task("dev-tiny");
        ctx.put("ctx", 100000);
        given().filter(Contract.STRICT).header("Authorization", "Bearer " + tenantToken(TENANT)).contentType(ContentType.JSON)
                .body(ctx).post("/v1/tasks").then()
                .statusCode(400).body("field", equalTo("ctx"));
    }

    @Test
    @DisplayName("ADM-3 a wrong Content-Type or Accept and a malformed task id in the path answer 400 naming the header or path")
    void wrongMediaAndPath() {
        given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT))
                .contentType("text/plain").body("hello").post("/v1/tasks").then()
                .statusCode(400).body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("header.content-type"));
        String valid = new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(task("dev-tiny")).toString();
        given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT))
                .contentType("application/json").accept("application/xml").body(valid).post("/v1/tasks").then()
                .statusCode(400).body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("header.accept"));
        given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT))
                .get("/v1/tasks/not-a-uuid").then().statusCode(400).body("field", equalTo("path.task_id"));
    }

    @Test
    @DisplayName("SEC-1 a submission without a token answers 401 with a Bearer challenge; a token without the tenant role 403")
    void submitNeedsATenantToken() {
        String valid = new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(task("dev-tiny")).toString();
        given().filter(Contract.RESPONSES_ONLY).contentType("application/json").body(valid).post("/v1/tasks").then()
                .statusCode(401).header("WWW-Authenticate", org.hamcrest.Matchers.startsWith("Bearer"))
                .body("code", equalTo("UNAUTHENTICATED"));
        given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + adminToken()).contentType("application/json")
                .body(valid).post("/v1/tasks").then()
                .statusCode(403).body("code", equalTo("FORBIDDEN"));
    }
}
