package io.sluice.app.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sluice.core.catalog.ModelState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@QuarkusTest
class AliasApiTest extends CatalogApiSupport {

    private static Map<String, Object> split(String a, int pa, String b, int pb) {
        return Map.of("targets", List.of(Map.of("model_id", a, "percent", pa), Map.of("model_id", b, "percent", pb)));
    }

    /** The pool model a task of {@code session} under {@code alias} was admitted for. */
    private static String servedModel(String tenant, String alias, String session) {
        Map<String, Object> t = task(alias);
        t.put("session_id", session);
        t.put("max_tokens", 1);
        String id = submit(tenant, t);
        return as(tenant).get("/v1/tasks/" + id).then().statusCode(200).extract().path("model_ref");
    }

    @Test
    @DisplayName("LIFE-3 an alias splits sessions by percentage, the same session always gets the same target, and rollback is one call")
    void canarySplitAndRollback() {
        String tenant = unique("life3-tenant");
        String alias = unique("chat");
        String stable = entryIn("dev-tiny", unique("stable"), ModelState.Active);
        String canary = entryIn("fault-tiny", unique("canary"), ModelState.Canary);

        asAdmin().contentType(ContentType.JSON).body(Map.of("targets", List.of(Map.of("model_id", stable, "percent", 100))))
                .put("/v1/catalog/aliases/" + alias).then().statusCode(201).body("revision", equalTo(1));
        asAdmin().contentType(ContentType.JSON).body(split(stable, 50, canary, 50)).put("/v1/catalog/aliases/" + alias)
                .then().statusCode(200).body("revision", equalTo(2)).body("previous_targets[0].percent", equalTo(100));
        // The same split again changes nothing.
        asAdmin().contentType(ContentType.JSON).body(split(stable, 50, canary, 50)).put("/v1/catalog/aliases/" + alias)
                .then().statusCode(200).body("revision", equalTo(2));

        Map<String, String> first = new HashMap<>();
        for (int i = 0; i < 12; i++) {
            String session = UUID.randomUUID().toString();
            first.put(session, servedModel(tenant, alias, session));
        }
        assertThat(first.values()).contains("dev-tiny", "fault-tiny");
        for (var e : first.entrySet()) {
            Map<String, Object> again = task(alias);
            again.put("session_id", e.getKey());
            again.put("max_tokens", 1);
            assertThat(servedModel(tenant, alias, e.getKey())).as("session %s", e.getKey()).isEqualTo(e.getValue());
        }

        asAdmin().post("/v1/catalog/aliases/" + alias + "/rollback").then().statusCode(200).body("revision", equalTo(3))
                .body("targets[0].percent", equalTo(100)).body("previous_targets.size()", equalTo(2));
        for (String session : first.keySet()) {
            assertThat(servedModel(tenant, alias, session)).isEqualTo("dev-tiny");
        }
        asAdmin().get("/v1/catalog/aliases/" + alias).then().statusCode(200).body("targets.size()", equalTo(1));
        asAdmin().get("/v1/catalog/aliases").then().statusCode(200);
        assertThat(countRows("catalog_alias_history where alias = '" + alias + "'")).isEqualTo(3);
    }

    @Test
    @DisplayName("LIFE-3 a split that does not sum to 100, names an unknown entry or a Draft entry is refused and stores nothing")
    void badSplits() {
        String alias = unique("bad");
        String active = entryIn("dev-tiny", unique("a"), ModelState.Active);
        String draft = entryIn("dev-tiny", unique("d"), ModelState.Draft);
        asAdmin().contentType(ContentType.JSON).body(split(active, 50, draft, 40)).put("/v1/catalog/aliases/" + alias)
                .then().statusCode(400).body("field", equalTo("targets"));
        asAdmin().contentType(ContentType.JSON).body(split(active, 50, UUID.randomUUID().toString(), 50)).put("/v1/catalog/aliases/" + alias)
                .then().statusCode(404).body("field", equalTo("targets[1].model_id"));
        asAdmin().contentType(ContentType.JSON).body(split(active, 50, draft, 50)).put("/v1/catalog/aliases/" + alias)
                .then().statusCode(409).body("field", equalTo("targets[1].model_id"));
        assertThat(countRows("catalog_aliases where alias = '" + alias + "'")).isZero();
        asAdmin().get("/v1/catalog/aliases/" + alias).then().statusCode(404);
        asAdmin().post("/v1/catalog/aliases/" + alias + "/rollback").then().statusCode(404);
        asAdmin().contentType(ContentType.JSON).body(Map.of("targets", List.of(Map.of("model_id", active, "percent", 100))))
                .put("/v1/catalog/aliases/" + alias).then().statusCode(201);
        asAdmin().post("/v1/catalog/aliases/" + alias + "/rollback").then().statusCode(409).body("code", equalTo("CONFLICT"));
    }
}
