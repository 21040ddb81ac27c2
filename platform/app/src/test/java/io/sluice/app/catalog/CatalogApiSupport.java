package io.sluice.app.catalog;

import io.quarkus.test.common.QuarkusTestResource;
import io.restassured.http.ContentType;
import io.sluice.app.testing.ApiTest;
import io.sluice.core.catalog.ModelState;
import java.util.List;
import java.util.Map;

/** Helpers of the catalog API tests; the trust roots come from {@link CatalogKeys}. */
@QuarkusTestResource(CatalogKeys.class)
abstract class CatalogApiSupport extends ApiTest {

    /** Ingests a signed entry and returns its id. */
    static String ingest(String name, String tag) {
        return asAdmin().contentType(ContentType.JSON).body(TestSigner.signedModel(name, tag)).post("/v1/catalog/models")
                .then().statusCode(201).extract().path("id");
    }

    static void move(String id, ModelState to) {
        asAdmin().contentType(ContentType.JSON).body(Map.of("state", to.name(), "reason", "test"))
                .post("/v1/catalog/models/" + id + "/state").then().statusCode(200);
    }

    /** A fresh entry brought to {@code state} along legal transitions. */
    static String entryIn(String name, String tag, ModelState state) {
        String id = ingest(name, tag);
        List<ModelState> path = switch (state) {
            case Draft -> List.of();
            case Active -> List.of(ModelState.Active);
            case Canary -> List.of(ModelState.Active, ModelState.Canary);
            case Deprecated -> List.of(ModelState.Active, ModelState.Deprecated);
            case Retired -> List.of(ModelState.Active, ModelState.Deprecated, ModelState.Retired);
        };
        for (ModelState s : path) {
            move(id, s);
        }
        return id;
    }

    static String unique(String prefix) {
        return prefix + "-" + Long.toHexString(System.nanoTime());
    }
}
