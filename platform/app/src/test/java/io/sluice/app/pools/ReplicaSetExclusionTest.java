package io.sluice.app.pools;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.SluiceStack;
import io.sluice.app.testing.Sse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * POOL-1 through the API, against the simulator: pool-m's replica r1 runs engine build b9999 while r0 runs the build
 * every other engine of the stack runs (b4242), so r1 must be excluded from the replica set, say why, and never serve.
 */
@QuarkusTest
class ReplicaSetExclusionTest extends ApiTest {
    private static final String TENANT = "rs-exclusion";
    private static final String AGREED = "b4242-sim";
    private static final String OTHER = "b9999-sim";

    @Test
    @DisplayName("POOL-1 a replica reporting another engine_version is excluded from its replica set with the reason visible,"
            + " and placement never sends it a task")
    void replicaOfAnotherEngineVersionIsExcluded() throws Exception {
        Await.until(Duration.ofSeconds(60), () -> List.of("ready", "excluded").equals(
                asAdmin().get("/v1/pools/pool-m/health").then().statusCode(200).extract().path("replicas.state")),
                "pool-m shows r0 ready and r1 excluded");

        JsonPath health = asAdmin().get("/v1/pools/pool-m/health").then().statusCode(200).extract().jsonPath();
        assertThat(health.getString("replicas[1].replica_id")).isEqualTo("pool-m/r1");
        assertThat(health.getString("replicas[1].engine_version")).isEqualTo(OTHER);
        assertThat(health.getString("replicas[1].excluded_reason"))
                .contains("engine_version " + OTHER).contains("serves engine_version " + AGREED);
        assertThat(health.getString("replicas[0].engine_version")).isEqualTo(AGREED);
        assertThat(health.getInt("replicas[1].slots_total")).as("an excluded replica offers no slots").isZero();

        JsonPath sets = asAdmin().get("/v1/replicasets").then().statusCode(200).extract().jsonPath();
        Map<String, Object> set = sets.getMap("items.find { it.pool_ids.contains('pool-m') }");
        assertThat(set).as("pool-m's replica set").isNotNull();
        assertThat(set.get("engine_version")).isEqualTo(AGREED);
        assertThat(set.get("pool_ids")).isEqualTo(List.of("pool-m"));
        @SuppressWarnings("unchecked")
        Map<String, Object> replicas = (Map<String, Object>) set.get("replicas");
        assertThat(replicas.get("total")).isEqualTo(2);
        assertThat(replicas.get("ready")).isEqualTo(1);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> excluded = (List<Map<String, Object>>) replicas.get("excluded");
        assertThat(excluded).hasSize(1);
        assertThat(excluded.get(0).get("replica_id")).isEqualTo("pool-m/r1");
        assertThat(excluded.get(0).get("reason")).isEqualTo(health.getString("replicas[1].excluded_reason"));
        assertThat(sets.getList("items.engine_version", String.class)).as("no replica set holds the other build")
                .doesNotContain(OTHER);

        // More tasks than r0 has slots: if the excluded replica counted, some would go to it.
        long servedByR1Before = SluiceStack.simStats("m1").path("completed").asLong();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Map<String, Object> body = task("mix-tiny");
            body.put("max_tokens", 32);
            ids.add(submit(TENANT, body));
        }
        for (String id : ids) {
            List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
            assertThat(events.get(events.size() - 1).name()).as("task %s ends", id).isEqualTo("end");
            as(TENANT).get("/v1/tasks/" + id).then().statusCode(200)
                    .body("pool_id", org.hamcrest.Matchers.equalTo("pool-m"))
                    .body("replica_id", org.hamcrest.Matchers.equalTo("pool-m/r0"));
        }
        assertThat(SluiceStack.simStats("m1").path("completed").asLong()).as("generations on the excluded engine")
                .isEqualTo(servedByR1Before);
        assertThat(SluiceStack.simStats("m1").path("active").asInt()).isZero();
    }
}
