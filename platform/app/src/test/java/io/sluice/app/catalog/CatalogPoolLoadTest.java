package io.sluice.app.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.SluiceStack;
import io.sluice.core.catalog.ModelState;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Pools loading catalog entries (CAT-3): {@code pool-c} of the test stack serves {@code cat-tiny} on a Triton engine
 * that reports the digest {@link SluiceStack#CAT_TINY_DIGEST}.
 */
@QuarkusTest
class CatalogPoolLoadTest extends CatalogApiSupport {
    private static final String POOL = "pool-c";
    private static final String SERVED = "sha256:" + SluiceStack.CAT_TINY_DIGEST;

    private static String ingestCatTiny(String tag, String digest) {
        return asAdmin().contentType(ContentType.JSON).body(TestSigner.signedModel("cat-tiny", tag, digest)).post("/v1/catalog/models")
                .then().statusCode(201).extract().path("id");
    }

    private static String verificationId(String id) {
        return asAdmin().get("/v1/catalog/models/" + id).then().statusCode(200).extract().path("verification.verification_id");
    }

    private static io.restassured.response.ValidatableResponse reload(String ref) {
        return asAdmin().contentType(ContentType.JSON).body(Map.of("new_model_ref", ref)).post("/v1/pools/" + POOL + "/reload").then();
    }

    /** The pool's reload status once the reload ended. */
    private static JsonPath reloadEnded() {
        JsonPath[] last = new JsonPath[1];
        Await.until(Duration.ofSeconds(40), () -> {
            last[0] = asAdmin().get("/v1/pools/" + POOL).then().statusCode(200).extract().jsonPath();
            return last[0].getString("reload.ended_at") != null;
        }, "the reload of " + POOL + " ended");
        return last[0];
    }

    private static void taskSucceeds(String tenant, String ref) {
        String task = submit(tenant, task(ref));
        Await.until(Duration.ofSeconds(30), () -> "succeeded".equals(as(tenant).get("/v1/tasks/" + task).then().statusCode(200)
                .extract().path("state")), "task " + task + " on " + ref + " succeeded");
        assertThat(as(tenant).get("/v1/tasks/" + task).then().extract().<String>path("pool_id")).isEqualTo(POOL);
    }

    @Test
    @DisplayName("CAT-3 a pool reload to a catalog entry verifies it again and loads it only when the engine reports the entry's digest; a digest mismatch is refused and the old model keeps serving")
    void reloadVerifiesAgainAndRefusesADigestMismatch() {
        String tenant = unique("cat3");
        String good = ingestCatTiny(unique("v1"), SERVED);
        move(good, ModelState.Active);
        String goodRef = asAdmin().get("/v1/catalog/models/" + good).then().extract().path("tag");
        String before = verificationId(good);

        reload("cat-tiny:" + goodRef).statusCode(202).body("action", equalTo("reload"));
        JsonPath ok = reloadEnded();
        assertThat(ok.getString("reload.state")).isEqualTo("succeeded");
        assertThat(ok.getString("reload.new_model_id")).isEqualTo(good);
        assertThat(verificationId(good)).as("verified again before the load").isNotEqualTo(before);
        taskSucceeds(tenant, "cat-tiny:" + goodRef);

        // A newer version whose artifact is not what the engine serves: the load is refused.
        String other = ingestCatTiny(unique("v2"), TestSigner.digest());
        move(other, ModelState.Active);
        String otherTag = asAdmin().get("/v1/catalog/models/" + other).then().extract().path("tag");
        String otherBefore = verificationId(other);
        reload("cat-tiny:" + otherTag).statusCode(202);
        JsonPath refused = reloadEnded();
        assertThat(refused.getString("reload.state")).isEqualTo("rolled_back");
        assertThat(refused.getString("reload.new_model_id")).isEqualTo(other);
        assertThat(refused.getString("reload.error.code")).isEqualTo("UNTRUSTED_ARTIFACT");
        assertThat(refused.getString("reload.error.message")).contains("digest mismatch").contains(SERVED);
        assertThat(verificationId(other)).isNotEqualTo(otherBefore);
        assertThat(refused.getString("state")).isEqualTo("ready");
        // The old model keeps serving.
        taskSucceeds(tenant, "cat-tiny:" + goodRef);
    }

    @Test
    @DisplayName("CAT-3 a pool reload to an entry that no longer verifies answers 422 UNTRUSTED_ARTIFACT, records the failed run and leaves the pool as it was")
    void reloadRefusesAnEntryThatNoLongerVerifies() {
        String tag = unique("tampered");
        String id = ingestCatTiny(tag, SERVED);
        move(id, ModelState.Active);
        String before = verificationId(id);
        JsonPath pool = asAdmin().get("/v1/pools/" + POOL).then().statusCode(200).extract().jsonPath();
        // The stored signatures are lost (tampered storage): the entry must not be loaded on the strength of its ingest.
        sql("update catalog_models set signatures_json = '[]' where id = '" + id + "'");

        reload("cat-tiny:" + tag).statusCode(422).body("code", equalTo("UNTRUSTED_ARTIFACT")).body("field", equalTo("new_model_ref"));
        var entry = asAdmin().get("/v1/catalog/models/" + id).then().statusCode(200).extract().jsonPath();
        assertThat(entry.getString("verification.verification_id")).isNotEqualTo(before);
        assertThat(entry.getString("verification.state")).isEqualTo("failed");
        JsonPath after = asAdmin().get("/v1/pools/" + POOL).then().statusCode(200).extract().jsonPath();
        assertThat(after.getMap("reload")).isEqualTo(pool.getMap("reload"));
        assertThat(after.getString("state")).isEqualTo("ready");
    }

    @Test
    @DisplayName("CAT-3 a pool reload refuses a Deprecated entry (410) and a ref neither in the catalog nor the pool's model (404)")
    void reloadRefusesWhatAPoolMayNotLoad() {
        String deprecated = entryIn("cat-tiny", unique("old"), ModelState.Deprecated);
        String deprecatedTag = asAdmin().get("/v1/catalog/models/" + deprecated).then().extract().path("tag");
        reload("cat-tiny:" + deprecatedTag).statusCode(410).body("code", equalTo("MODEL_DEPRECATED")).body("field", equalTo("new_model_ref"));
        reload("no-such-model:" + unique("t")).statusCode(404).body("code", equalTo("NOT_FOUND")).body("field", equalTo("new_model_ref"));
        reload("not-a-catalog-ref").statusCode(404).body("field", equalTo("new_model_ref"));
    }

    @Test
    @DisplayName("POOL-3 a reload to another model's entry that the pool's engine cannot serve is rolled back and the old model keeps serving")
    void reloadToAModelTheEngineCannotServeIsRolledBack() {
        String tenant = unique("pool3-cannot");
        String otherModel = entryIn("dev-tiny", unique("elsewhere"), ModelState.Active);
        reload(otherModel).statusCode(202);
        JsonPath refused = reloadEnded();
        assertThat(refused.getString("reload.state")).isEqualTo("rolled_back");
        assertThat(refused.getString("reload.new_model_id")).isEqualTo(otherModel);
        assertThat(refused.getString("reload.error.code")).isEqualTo("POOL_UNAVAILABLE");
        assertThat(refused.getString("reload.error.message")).contains("keeps serving model cat-tiny");
        assertThat(refused.getString("model_ref")).isEqualTo("cat-tiny");
        assertThat(refused.getString("state")).isEqualTo("ready");
        taskSucceeds(tenant, "cat-tiny");
    }
}
