package io.sluice.app.pools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

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
 * SCH-6 through the API, against two Triton engines of the simulator that list their GPUs in their model configuration:
 * pool-k may use GPUs 18-19; its replica r0 runs on 18 and 19, r1 on 19 and 20. r1 must be excluded with the GPU named,
 * and no task of the pool may run on it.
 */
@QuarkusTest
class DeviceMaskPlacementTest extends ApiTest {
    private static final String TENANT = "device-mask";

    @Test
    @DisplayName("SCH-6 device masks are respected: an engine reporting a GPU outside its pool's device_mask is excluded with"
            + " the GPU named, and the pool's tasks never run on it")
    void engineOutsideTheMaskServesNothing() throws Exception {
        Await.until(Duration.ofSeconds(60), () -> List.of("ready", "excluded").equals(
                asAdmin().get("/v1/pools/pool-k/health").then().statusCode(200).extract().path("replicas.state")),
                "pool-k shows r0 ready and r1 excluded");

        JsonPath health = asAdmin().get("/v1/pools/pool-k/health").then().statusCode(200).extract().jsonPath();
        assertThat(health.getList("replicas[0].gpus", Integer.class)).containsExactly(18, 19);
        assertThat(health.getList("replicas[1].gpus", Integer.class)).containsExactly(19, 20);
        assertThat(health.getString("replicas[1].excluded_reason"))
                .isEqualTo("the engine runs on GPUs 19,20, of which 20 lie outside the pool's device_mask 18,19");
        assertThat(health.getInt("replicas[1].slots_total")).as("an excluded replica offers no slots").isZero();
        asAdmin().get("/v1/pools/pool-k").then().statusCode(200).body("device_mask", equalTo("18-19"));

        // More tasks than r0 has slots at once: were r1 counted, some would run on GPU 20.
        long servedOutsideBefore = SluiceStack.simStats("k1").path("completed").asLong();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Map<String, Object> body = task("mask-tiny");
            body.put("max_tokens", 24);
            ids.add(submit(TENANT, body));
        }
        for (String id : ids) {
            List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
            assertThat(events.get(events.size() - 1).name()).as("task %s ends", id).isEqualTo("end");
            as(TENANT).get("/v1/tasks/" + id).then().statusCode(200)
                    .body("pool_id", equalTo("pool-k"))
                    .body("replica_id", equalTo("pool-k/r0"));
        }
        assertThat(SluiceStack.simStats("k1").path("completed").asLong()).as("generations on the engine using GPU 20")
                .isEqualTo(servedOutsideBefore);
        assertThat(SluiceStack.simStats("k0").path("completed").asLong()).isGreaterThanOrEqualTo(ids.size());
    }
}
