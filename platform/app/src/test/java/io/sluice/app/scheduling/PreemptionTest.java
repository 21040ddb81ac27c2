package io.sluice.app.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Sse;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Soft preemption on pool-d: one slot, two queue places per priority, full policy reject. */
@QuarkusTest
class PreemptionTest extends ApiTest {

    @Test
    @DisplayName("soft preemption: an interactive task arriving at a full queue evicts the newest waiting batch task, whose stream"
            + " ends with a retriable PREEMPTED and whose stored outcome says so once; preemptions_total counts it")
    void interactiveArrivalPreemptsNewestWaitingBatch() throws Exception {
        String tenant = SchedPool.tenant("preempt");
        String preemptions = "preemptions_total{engine=\"llamacpp\",mode=\"soft\"}";
        Double before = SchedPool.metric(preemptions);
        String blocker = submit(tenant, SchedPool.task("interactive", 400, 600_000));
        SchedPool.awaitState(tenant, blocker, "running");
        String olderBatch = submit(tenant, SchedPool.task("batch", 10, 600_000));
        String newerBatch = submit(tenant, SchedPool.task("batch", 10, 600_000));
        String i1 = submit(tenant, SchedPool.task("interactive", 10, 600_000));
        String i2 = submit(tenant, SchedPool.task("interactive", 10, 600_000));

        // The interactive queue is full and its policy rejects: the arrival takes the newest batch task's place.
        String arrival = submit(tenant, SchedPool.task("interactive", 10, 600_000));

        List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + newerBatch + "/stream", tenantToken(tenant));
        assertThat(events).extracting(Sse.Event::name).containsExactly("started", "error");
        assertThat(events.get(1).data()).contains("\"code\":\"PREEMPTED\"").contains("\"retriable\":true");
        as(tenant).get("/v1/tasks/" + newerBatch).then().statusCode(200)
                .body("state", equalTo("failed"))
                .body("error.code", equalTo("PREEMPTED"))
                .body("error.retriable", equalTo(true))
                .body("tokens_out", equalTo(0));
        as(tenant).get("/v1/tasks/" + olderBatch).then().body("state", equalTo("queued"));
        // Canceling the preempted task changes nothing: its one outcome stays.
        SchedPool.cancel(tenant, newerBatch);
        assertThat(countRows("tasks where id = '" + newerBatch + "' and state = 'failed' and error_code = 'PREEMPTED'"
                + " and error_retriable and terminal_event_id is not null")).isEqualTo(1);

        assertThat(SchedPool.metric(preemptions)).as(preemptions).isEqualTo((before == null ? 0.0 : before) + 1);

        // A batch arrival at a full batch queue evicts nobody: only a higher priority preempts.
        String laterBatch = submit(tenant, SchedPool.task("batch", 10, 600_000));
        as(tenant).contentType(ContentType.JSON).body(SchedPool.task("batch", 10, 600_000)).post("/v1/tasks").then()
                .statusCode(429)
                .body("code", equalTo("ADMISSION_REJECT"));
        as(tenant).get("/v1/tasks/" + olderBatch).then().body("state", equalTo("queued"));

        SchedPool.cancel(tenant, blocker);
        for (String id : List.of(i1, i2, arrival, olderBatch, laterBatch)) {
            SchedPool.awaitState(tenant, id, "succeeded");
        }
        SchedPool.awaitIdle();
    }
}
