package io.sluice.app.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@QuarkusTest
class CatalogApiTest extends CatalogApiSupport {

    @Test
    @DisplayName("CAT-1 an admin ingests a signed entry: 201 in Draft, verified, with its ingest recorded; name:tag resolves to one digest")
    void ingestReadAndResolve() {
        String name = unique("cat1");
        Map<String, Object> body = TestSigner.signedModel(name, "q4");
        var created = asAdmin().contentType(ContentType.JSON).body(body).post("/v1/catalog/models").then().statusCode(201)
                .extract().jsonPath();
        String id = created.getString("id");
        assertThat(created.getString("verification.trust_policy")).isEqualTo("strict");
        assertThat(created.getString("state")).isEqualTo("Draft");
        assertThat(created.getString("verification.state")).isEqualTo("verified");
        assertThat(created.getList("verification.key_ids")).containsExactly(CatalogKeys.EC_KEY);
        assertThat(created.getString("created_by")).isEqualTo("ops");
        assertThat(created.getList("history.to_state")).containsExactly("Draft");

        asAdmin().get("/v1/catalog/models/" + id).then().statusCode(200).body("artifact_digest", equalTo(body.get("artifact_digest")))
                .body("sbom.bomFormat", equalTo("CycloneDX")).body("manifest.name", equalTo(name));
        // Re-ingesting the same name, tag and digest is idempotent; another digest under the same name:tag is refused.
        asAdmin().contentType(ContentType.JSON).body(body).post("/v1/catalog/models").then().statusCode(200).body("id", equalTo(id));
        long before = countRows("catalog_models");
        asAdmin().contentType(ContentType.JSON).body(TestSigner.signedModel(name, "q4")).post("/v1/catalog/models").then().statusCode(409)
                .body("code", equalTo("CONFLICT"));
        assertThat(countRows("catalog_models")).isEqualTo(before);
        assertThat(countRows("catalog_tag_resolutions where name = '" + name + "' and tag = 'q4' and digest = '"
                + body.get("artifact_digest") + "'")).isEqualTo(1);
    }

    @Test
    @DisplayName("CAT-1 the list pages with an opaque cursor and filters by name, state and verification")
    void listPagesAndFilters() {
        String name = unique("cat1-list");
        List<String> ids = new ArrayList<>();
        for (String tag : List.of("a", "b", "c", "d", "e")) {
            ids.add(ingest(name, tag));
        }
        move(ids.get(1), io.sluice.core.catalog.ModelState.Active);
        Set<String> seen = new HashSet<>();
        List<String> tags = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            var req = asAdmin().queryParam("name", name).queryParam("limit", 2);
            if (cursor != null) {
                req = req.queryParam("cursor", cursor);
            }
            var page = req.get("/v1/catalog/models").then().statusCode(200).extract().jsonPath();
            seen.addAll(page.getList("items.id"));
            tags.addAll(page.getList("items.tag"));
            cursor = page.getString("next_cursor");
            pages++;
        } while (cursor != null && pages < 10);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(tags).containsExactly("a", "b", "c", "d", "e");
        asAdmin().queryParam("name", name).queryParam("state", "Active").get("/v1/catalog/models").then().statusCode(200)
                .body("items.id", equalTo(List.of(ids.get(1))));
        asAdmin().queryParam("name", name).queryParam("verification", "unverified").get("/v1/catalog/models").then().statusCode(200)
                .body("items.size()", equalTo(0));
        asAdmin().queryParam("name", name).queryParam("verification", "verified").get("/v1/catalog/models").then().statusCode(200)
                .body("items.size()", equalTo(5));
        asAdmin().queryParam("cursor", "not-a-cursor").get("/v1/catalog/models").then().statusCode(400).body("field", equalTo("cursor"));
    }

    @Test
    @DisplayName("SEC-2 a tenant token on any catalog or alias path answers 403 and changes nothing")
    void tenantTokenIsForbidden() {
        String id = ingest(unique("cat1-sec"), "t");
        long before = countRows("catalog_models");
        String tenant = "catalog-sec-tenant";
        as(tenant).contentType(ContentType.JSON).body(TestSigner.signedModel(unique("cat1-sec"), "t")).post("/v1/catalog/models")
                .then().statusCode(403).body("code", equalTo("FORBIDDEN"));
        as(tenant).get("/v1/catalog/models").then().statusCode(403);
        as(tenant).get("/v1/catalog/models/" + id).then().statusCode(403);
        as(tenant).post("/v1/catalog/models/" + id + "/verify").then().statusCode(403);
        as(tenant).contentType(ContentType.JSON).body(Map.of("state", "Active")).post("/v1/catalog/models/" + id + "/state").then().statusCode(403);
        as(tenant).get("/v1/catalog/models/" + id + "/transitions").then().statusCode(403);
        as(tenant).get("/v1/catalog/aliases").then().statusCode(403);
        as(tenant).get("/v1/catalog/aliases/some-alias").then().statusCode(403);
        as(tenant).contentType(ContentType.JSON).body(Map.of("targets", List.of(Map.of("model_id", id, "percent", 100))))
                .put("/v1/catalog/aliases/some-alias").then().statusCode(403);
        as(tenant).post("/v1/catalog/aliases/some-alias/rollback").then().statusCode(403);
        assertThat(countRows("catalog_models")).isEqualTo(before);
        assertThat(countRows("catalog_aliases where alias = 'some-alias'")).isZero();
    }

    @Test
    @DisplayName("CAT-1 malformed and huge manifests answer 400 naming the field, and nothing is stored")
    void badManifests() {
        String name = unique("cat1-bad");
        long before = countRows("catalog_models");
        long transitions = countRows("catalog_transitions");
        Map<String, Object> noDigest = new java.util.HashMap<>(TestSigner.signedModel(name, "a"));
        noDigest.put("manifest", Map.of("name", name));
        asAdmin().contentType(ContentType.JSON).body(noDigest).post("/v1/catalog/models").then().statusCode(400)
                .body("field", equalTo("manifest.artifact_digest"));
        Map<String, Object> otherDigest = new java.util.HashMap<>(TestSigner.signedModel(name, "b"));
        otherDigest.put("manifest", TestSigner.manifest(name, "b", TestSigner.digest()));
        asAdmin().contentType(ContentType.JSON).body(otherDigest).post("/v1/catalog/models").then().statusCode(400)
                .body("field", equalTo("manifest.artifact_digest"));
        Map<String, Object> huge = new java.util.HashMap<>(TestSigner.signedModel(name, "c"));
        Map<String, Object> bigManifest = new java.util.LinkedHashMap<>(TestSigner.manifest(name, "c", (String) huge.get("artifact_digest")));
        bigManifest.put("padding", "x".repeat(300 * 1024));
        huge.put("manifest", bigManifest);
        asAdmin().contentType(ContentType.JSON).body(huge).post("/v1/catalog/models").then().statusCode(400)
                .body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("manifest"));
        assertThat(countRows("catalog_models")).isEqualTo(before);
        assertThat(countRows("catalog_transitions")).isEqualTo(transitions);
        asAdmin().get("/v1/catalog/models/" + java.util.UUID.randomUUID()).then().statusCode(404).body("code", equalTo("NOT_FOUND"));
    }
}
