package io.sluice.app.artifacts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sluice.app.testing.ApiTest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ArtifactApiTest extends ApiTest {
    private static final String TENANT = "artifact-tenant-" + Long.toHexString(System.nanoTime());
    private static final String OTHER = "artifact-other-" + Long.toHexString(System.nanoTime());

    private static String sha256(String s) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    @DisplayName("CAT-4 an artifact's id is the sha256 of the RFC 8785 canonical JSON of {kind, content, tags, lineage}; storing it again answers 200")
    void contentAddressed() throws Exception {
        // Written in a different key order, with numbers as RFC 8785 renders them differently (1.0E30, 4.50, 1.0).
        String body = "{\"tags\":[\"nightly\"],\"content\":{\"b\":4.50,\"a\":[1.0,\"\\u20ac\",1.0E30],\"€\":true},\"kind\":\"eval-result\"}";
        String canonical = "{\"content\":{\"a\":[1,\"€\",1e+30],\"b\":4.5,\"€\":true},\"kind\":\"eval-result\",\"lineage\":[],\"tags\":[\"nightly\"]}";
        String id = sha256(canonical);
        as(TENANT).contentType(ContentType.JSON).body(body).post("/v1/artifacts").then().statusCode(201)
                .body("id", equalTo(id)).body("size_bytes", equalTo(canonical.getBytes(StandardCharsets.UTF_8).length))
                .body("tags", equalTo(List.of("nightly"))).body("lineage", equalTo(List.of()));
        as(TENANT).contentType(ContentType.JSON).body(body).post("/v1/artifacts").then().statusCode(200).body("id", equalTo(id));
        as(TENANT).get("/v1/artifacts/" + id).then().statusCode(200).body("kind", equalTo("eval-result")).body("content.b", equalTo(4.5f));
        assertThat(countRows("artifacts where tenant_id = '" + TENANT + "' and id = '" + id + "'")).isEqualTo(1);
    }

    @Test
    @DisplayName("CAT-4 lineage names parents of the same tenant; an unknown or another tenant's parent answers 404 naming it and stores nothing")
    void lineageIsTenantScoped() {
        String parent = as(TENANT).contentType(ContentType.JSON).body(Map.of("kind", "prompt-set", "content", List.of("a", "b")))
                .post("/v1/artifacts").then().statusCode(201).extract().path("id");
        Map<String, Object> child = new LinkedHashMap<>();
        child.put("kind", "eval-result");
        child.put("content", Map.of("score", 1));
        child.put("lineage", List.of(parent));
        String childId = as(TENANT).contentType(ContentType.JSON).body(child).post("/v1/artifacts").then().statusCode(201)
                .body("lineage", equalTo(List.of(parent))).extract().path("id");
        as(TENANT).get("/v1/artifacts/" + childId).then().statusCode(200).body("lineage", equalTo(List.of(parent)));

        long stored = countRows("artifacts");
        as(OTHER).contentType(ContentType.JSON).body(child).post("/v1/artifacts").then().statusCode(404)
                .body("code", equalTo("NOT_FOUND")).body("field", equalTo("lineage[0]"));
        Map<String, Object> unknown = new LinkedHashMap<>(child);
        unknown.put("lineage", List.of(parent, "sha256:" + "0".repeat(64)));
        as(TENANT).contentType(ContentType.JSON).body(unknown).post("/v1/artifacts").then().statusCode(404).body("field", equalTo("lineage[1]"));
        assertThat(countRows("artifacts")).isEqualTo(stored);
    }

    @Test
    @DisplayName("SEC-3 another tenant's artifact id answers 404, as if it did not exist")
    void otherTenantsArtifactIsNotFound() {
        String id = as(TENANT).contentType(ContentType.JSON).body(Map.of("kind", "note", "content", "private"))
                .post("/v1/artifacts").then().statusCode(201).extract().path("id");
        as(OTHER).get("/v1/artifacts/" + id).then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        as(TENANT).get("/v1/artifacts/" + id).then().statusCode(200);
    }

    /** Requests the contract itself forbids: only the answers are validated. */
    private static io.restassured.specification.RequestSpecification invalid() {
        return io.restassured.RestAssured.given().filter(io.sluice.app.testing.Contract.RESPONSES_ONLY)
                .header("Authorization", "Bearer " + tenantToken(TENANT));
    }

    @Test
    void badBodiesAre400AndStoreNothing() {
        long stored = countRows("artifacts");
        invalid().contentType(ContentType.JSON).body("{\"kind\":\"note\"}").post("/v1/artifacts").then().statusCode(400)
                .body("field", equalTo("content"));
        invalid().contentType(ContentType.JSON).body("{\"kind\":\"note\",\"content\":1,\"tags\":[\"\"]}")
                .post("/v1/artifacts").then().statusCode(400);
        assertThat(countRows("artifacts")).isEqualTo(stored);
    }
}
