package io.sluice.app.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.SluiceStack;
import io.sluice.core.catalog.ModelState;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A reload to a catalog entry of another model (POOL-3, CAT-3, ADR 0031). {@code pool-w} of the test stack is configured
 * as {@code swap-old} on a TGI engine (TGI's requests name no model) whose weights are already those of {@code swap-new}:
 * it reports {@link SluiceStack#SWAP_NEW_DIGEST}. The pool switches only when new replicas for the other model are Ready
 * and report the entry's digest; until then, and on any failure, the old model keeps serving.
 */
@QuarkusTest
class PoolModelSwitchTest extends CatalogApiSupport {
    private static final String POOL = "pool-w";

    @Inject
    MeterRegistry meters;

    private double mismatches() {
        var c = meters.find("catalog_verifications_total").tags("result", "failed", "reason", CatalogTrust.DIGEST_MISMATCH).counter();
        return c == null ? 0 : c.count();
    }

    private static String activeEntry(String name, String tag, String digest) {
        String id = asAdmin().contentType(ContentType.JSON).body(TestSigner.signedModel(name, tag, digest)).post("/v1/catalog/models")
                .then().statusCode(201).extract().path("id");
        move(id, ModelState.Active);
        return id;
    }

    private static JsonPath pool() {
        return asAdmin().get("/v1/pools/" + POOL).then().statusCode(200).extract().jsonPath();
    }

    /** The pool once its reload ended. */
    private static JsonPath reloadEnded() {
        JsonPath[] last = new JsonPath[1];
        Await.until(Duration.ofSeconds(45), () -> {
            last[0] = pool();
            return last[0].getString("reload.ended_at") != null;
        }, "the reload of " + POOL + " ended");
        return last[0];
    }

    private static void reload(String ref) {
        asAdmin().contentType(ContentType.JSON).body(Map.of("new_model_ref", ref)).post("/v1/pools/" + POOL + "/reload").then()
                .statusCode(202).body("action", equalTo("reload"));
    }

    private static String succeeded(String tenant, String task) {
        Await.until(Duration.ofSeconds(30), () -> "succeeded".equals(as(tenant).get("/v1/tasks/" + task).then().statusCode(200)
                .extract().path("state")), "task " + task + " succeeded");
        return as(tenant).get("/v1/tasks/" + task).then().extract().path("pool_id");
    }

    @Test
    @DisplayName("POOL-3 CAT-3 a reload to another model switches the pool only once new replicas are Ready and report the entry's"
            + " digest: a mismatch is rolled back with the old model serving, a match switches it while a running task finishes")
    void reloadToAnotherModelIsAtomic() {
        String tenant = unique("pool3-switch");
        Await.until(Duration.ofSeconds(30), () -> "ready".equals(pool().getString("state")), POOL + " is ready");
        assertThat(pool().getString("model_ref")).isEqualTo("swap-old");
        assertThat(succeeded(tenant, submit(tenant, task("swap-old")))).isEqualTo(POOL);

        // Another model whose artifact is not what the engine holds: refused, nothing switched.
        String badTag = unique("bad");
        String bad = activeEntry("swap-bad", badTag, TestSigner.digest());
        double before = mismatches();
        reload("swap-bad:" + badTag);
        JsonPath refused = reloadEnded();
        assertThat(refused.getString("reload.state")).isEqualTo("rolled_back");
        assertThat(refused.getString("reload.new_model_id")).isEqualTo(bad);
        assertThat(refused.getString("reload.error.code")).isEqualTo("UNTRUSTED_ARTIFACT");
        assertThat(refused.getString("reload.error.message")).contains("digest mismatch").contains("swap-old");
        assertThat(refused.getString("model_ref")).isEqualTo("swap-old");
        assertThat(refused.getString("state")).isEqualTo("ready");
        assertThat(mismatches()).isGreaterThan(before);
        assertThat(countRows("pool_models where pool_id = '" + POOL + "'")).as("a rolled-back reload stores nothing").isZero();
        assertThat(succeeded(tenant, submit(tenant, task("swap-old")))).as("the old model keeps serving").isEqualTo(POOL);

        // The entry whose artifact the engine holds: a task of the old model runs while the new replicas load.
        String tag = unique("v1");
        String good = activeEntry("swap-new", tag, "sha256:" + SluiceStack.SWAP_NEW_DIGEST);
        Map<String, Object> longTask = task("swap-old");
        longTask.put("max_tokens", 100);
        String running = submit(tenant, longTask);
        Await.until(Duration.ofSeconds(10), () -> "running".equals(as(tenant).get("/v1/tasks/" + running).then().extract().path("state")),
                "the swap-old task runs");
        reload("swap-new:" + tag);
        JsonPath switched = reloadEnded();
        assertThat(switched.getString("reload.state")).isEqualTo("succeeded");
        assertThat(switched.getString("reload.new_model_id")).isEqualTo(good);
        assertThat(switched.getString("model_ref")).isEqualTo("swap-new");
        assertThat(switched.getString("state")).isEqualTo("ready");
        assertThat(switched.getString("model_digest")).isEqualTo("sha256:" + SluiceStack.SWAP_NEW_DIGEST);
        assertThat(countRows("pool_models where pool_id = '" + POOL + "' and model_id = '" + good + "' and model_name = 'swap-new'"
                + " and configured_model = 'swap-old'")).as("the switch is stored for every instance (ADR 0034)").isEqualTo(1);
        assertThat(succeeded(tenant, running)).as("the task running on the old model finished there").isEqualTo(POOL);
        assertThat(succeeded(tenant, submit(tenant, task("swap-new:" + tag)))).isEqualTo(POOL);
        // The old model is no longer served here.
        as(tenant).contentType(ContentType.JSON).body(task("swap-old")).post("/v1/tasks").then().statusCode(404)
                .body("code", equalTo("NOT_FOUND")).body("field", equalTo("model_ref"));
    }
}
