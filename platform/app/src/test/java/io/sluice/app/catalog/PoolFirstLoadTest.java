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
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The catalog's check of a pool's first load (CAT-2, CAT-3, ADR 0031). {@code pool-v} of the test stack serves
 * {@code load-tiny} on a Triton engine that reports the digest {@link SluiceStack#LOAD_TINY_DIGEST} and says it is
 * loading until this test clears its fault: no replica of {@code pool-v} was Ready before, so what the test sees is the
 * pool's first load, with the catalog holding what the test put in it.
 */
@QuarkusTest
class PoolFirstLoadTest extends CatalogApiSupport {
    private static final String POOL = "pool-v";
    private static final String SERVED = "sha256:" + SluiceStack.LOAD_TINY_DIGEST;

    @Inject
    MeterRegistry meters;

    private double count(String result, String reason) {
        var c = meters.find("catalog_verifications_total").tags("result", result, "reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    /** Ingests an Active entry of load-tiny; answers its id and the verification run of its ingest. */
    private static String[] ingestLoadTiny(String tag, String digest) {
        JsonPath entry = asAdmin().contentType(ContentType.JSON).body(TestSigner.signedModel("load-tiny", tag, digest))
                .post("/v1/catalog/models").then().statusCode(201).extract().jsonPath();
        move(entry.getString("id"), ModelState.Active);
        return new String[] {entry.getString("id"), entry.getString("verification.verification_id")};
    }

    private static String verificationId(String id) {
        return asAdmin().get("/v1/catalog/models/" + id).then().statusCode(200).extract().path("verification.verification_id");
    }

    private static JsonPath health() {
        return asAdmin().get("/v1/pools/" + POOL + "/health").then().statusCode(200).extract().jsonPath();
    }

    @Test
    @DisplayName("CAT-3 a pool's first load is verified: while its engine reports a digest no catalog entry of its model names,"
            + " the pool stays Unready with the digest mismatch in its health and counted in catalog_verifications_total;"
            + " once the served artifact is in the catalog it is verified again and the pool becomes Ready")
    void firstLoadIsVerifiedAndADigestMismatchRefusesIt() {
        asAdmin().get("/v1/pools/" + POOL).then().statusCode(200).body("state", equalTo("loading")).body("replicas_ready", equalTo(0));
        String tenant = unique("cat3-first");
        String otherDigest = TestSigner.digest();
        String otherTag = unique("other");
        ingestLoadTiny(otherTag, otherDigest);
        double mismatches = count("failed", CatalogTrust.DIGEST_MISMATCH);

        SluiceStack.clearFaults("v0");
        Await.until(Duration.ofSeconds(60), () -> String.valueOf(health().getString("last_error.message")).contains("digest mismatch"),
                "the first load of " + POOL + " was refused for its digest");
        JsonPath refused = health();
        assertThat(refused.getBoolean("ready")).isFalse();
        assertThat(refused.getString("replicas[0].state")).isEqualTo("unready");
        assertThat(refused.getString("last_error.replica_id")).isEqualTo(POOL + "/r0");
        assertThat(refused.getString("last_error.message")).contains(SERVED).contains("load-tiny:" + otherTag).contains(otherDigest);
        asAdmin().get("/v1/pools/" + POOL).then().statusCode(200).body("state", equalTo("unready")).body("replicas_ready", equalTo(0));
        assertThat(count("failed", CatalogTrust.DIGEST_MISMATCH)).isGreaterThan(mismatches);
        // Nothing is served from the refused artifact.
        as(tenant).contentType(ContentType.JSON).body(task("load-tiny:" + otherTag)).post("/v1/tasks").then().statusCode(503)
                .body("code", equalTo("POOL_UNAVAILABLE")).body("pool_id", equalTo(POOL));

        // The served artifact enters the catalog: the next check verifies that entry again, and the pool loads it.
        String servedTag = unique("served");
        double verified = count("verified", "ok");
        String[] ingested = ingestLoadTiny(servedTag, SERVED);
        String served = ingested[0];
        String atIngest = ingested[1];
        Await.until(Duration.ofSeconds(60), () -> "ready".equals(asAdmin().get("/v1/pools/" + POOL).then().statusCode(200)
                .extract().path("state")), POOL + " became Ready once its artifact was in the catalog");
        assertThat(verificationId(served)).as("verified again before the load").isNotEqualTo(atIngest);
        assertThat(count("verified", "ok")).as("verified at the ingest and again at the load").isGreaterThanOrEqualTo(verified + 2);
        JsonPath ready = health();
        assertThat(ready.getBoolean("ready")).isTrue();
        assertThat(ready.getString("replicas[0].model_digest")).isEqualTo(SERVED);

        String task = submit(tenant, task("load-tiny:" + servedTag));
        Await.until(Duration.ofSeconds(30), () -> "succeeded".equals(as(tenant).get("/v1/tasks/" + task).then().statusCode(200)
                .extract().path("state")), "task " + task + " on load-tiny:" + servedTag + " succeeded");
        assertThat(as(tenant).get("/v1/tasks/" + task).then().extract().<String>path("pool_id")).isEqualTo(POOL);
    }
}
