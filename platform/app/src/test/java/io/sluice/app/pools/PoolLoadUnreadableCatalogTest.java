package io.sluice.app.pools;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Contract;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A pool's first load while the catalog cannot be read (CAT-3, POOL-2, ADR 0034), on a stack of its own
 * ({@link UnreadableCatalogStack}): the app's database role may not read {@code catalog_models} when it starts. An
 * unread catalog knows no entry, so checking against it would let any artifact pass; the load is refused with the
 * cause instead, and the pool becomes Ready once the catalog can be read.
 */
@QuarkusTest
@TestProfile(PoolLoadUnreadableCatalogTest.UnreadableCatalog.class)
class PoolLoadUnreadableCatalogTest {
    private static final String POOL = "pool-a";

    /** The stack of its own instead of the shared one: nothing of the other tests' stack is touched. */
    public static class UnreadableCatalog implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(UnreadableCatalogStack.class));
        }

        @Override
        public boolean disableGlobalTestResources() {
            return true;
        }
    }

    private static JsonPath health() {
        return given().filter(Contract.STRICT).header("Authorization", "Bearer " + UnreadableCatalogStack.issuer().adminToken("ops"))
                .get("/v1/pools/" + POOL + "/health").then().statusCode(200).extract().jsonPath();
    }

    @Test
    @DisplayName("CAT-3 POOL-2 while the catalog cannot be read a pool's first load is refused, not passed unchecked: the pool stays"
            + " unready with the cause in its health; once the catalog can be read the pool is checked again and becomes Ready")
    void firstLoadWaitsForTheCatalog() {
        JsonPath[] last = new JsonPath[1];
        Await.until(Duration.ofSeconds(30), () -> {
            last[0] = health();
            List<String> errors = last[0].getList("replicas.last_error");
            return errors.size() == 2 && errors.stream().allMatch(e -> e != null && e.startsWith("load refused by the catalog: the catalog"
                    + " could not be read yet"));
        }, "both replicas of " + POOL + " are refused while the catalog cannot be read");
        JsonPath refused = last[0];
        assertThat(refused.getBoolean("ready")).isFalse();
        assertThat(refused.getList("replicas.state", String.class)).containsOnly("unready");
        assertThat(refused.getString("last_error.message")).startsWith("load refused by the catalog: the catalog could not be read yet")
                .contains("permission denied").contains("catalog_models");

        UnreadableCatalogStack.grantCatalog();
        long t0 = System.nanoTime();
        Await.until(Duration.ofSeconds(20), () -> health().getBoolean("ready"), POOL + " becomes Ready once the catalog can be read");
        System.out.printf("pool Ready %d ms after the catalog became readable%n", (System.nanoTime() - t0) / 1_000_000);
        JsonPath ready = health();
        assertThat(ready.getList("replicas.state", String.class)).contains("ready");
    }
}
