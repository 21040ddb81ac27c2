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

    /** The tag of the entry holding what the simulator's dev-tiny engines really serve. */
    static final String SERVED_DEV_TINY_TAG = "sim-served";

    /** Ingests a signed entry and returns its id. */
    static String ingest(String name, String tag) {
        if (name.equals("dev-tiny")) {
            keepDevTinyLoadable();
        }
        return asAdmin().contentType(ContentType.JSON).body(TestSigner.signedModel(name, tag)).post("/v1/catalog/models")
                .then().statusCode(201).extract().path("id");
    }

    /**
     * The dev-tiny entries these tests add carry made-up digests. With only those in the catalog, any later load check
     * of pool-a or pool-b (a replica re-probed after a slow health answer) is refused as a digest mismatch, and the
     * pools every other test uses stay out of placement (CAT-3 works as specified; the shared stack is the problem).
     * So the first dev-tiny entry of a stack comes with an Active one for the artifact the simulator serves: the
     * sha256 of the model name.
     */
    private static void keepDevTinyLoadable() {
        var created = asAdmin().contentType(ContentType.JSON)
                .body(TestSigner.signedModel("dev-tiny", SERVED_DEV_TINY_TAG, "sha256:" + sha256Hex("dev-tiny")))
                .post("/v1/catalog/models").then().extract();
        // 201: created now; 200: the same body was ingested before (an idempotent replay), and activated then.
        if (created.statusCode() == 201) {
            move(created.path("id"), ModelState.Active);
        } else if (created.statusCode() != 200 && created.statusCode() != 409) {
            throw new AssertionError("could not ingest the served dev-tiny entry: " + created.statusCode() + " " + created.asString());
        }
    }

    private static String sha256Hex(String s) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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
