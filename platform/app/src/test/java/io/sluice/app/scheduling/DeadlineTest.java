package io.sluice.app.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Sse;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Deadlines on pool-d (one slot at 50 tokens/s): feasibility from the measured rate, and earliest deadline first. */
@QuarkusTest
class DeadlineTest extends ApiTest {

    @Test
    @DisplayName("SCH-4 a deadline even an idle pool cannot meet answers 422 DEADLINE_UNMET at stage deadline, without fits_at_ms;"
            + " nothing is stored")
    void impossibleDeadlineIs422() {
        String tenant = SchedPool.tenant("idle");
        SchedPool.measured(tenant);
        long stored = countRows("tasks");
        // 500 tokens at ~50 tokens/s need ~10 s on an idle pool.
        as(tenant).contentType(ContentType.JSON).body(SchedPool.task("interactive", 500, 2_000)).post("/v1/tasks").then()
                .statusCode(422)
                .body("code", equalTo("DEADLINE_UNMET"))
                .body("stage", equalTo("deadline"))
                .body("field", equalTo("deadline_ms"))
                .body("pool_id", equalTo("pool-d"))
                .body("fits_at_ms", nullValue());
        assertThat(countRows("tasks")).isEqualTo(stored);
    }

    @Test
    @DisplayName("SCH-4 a deadline the pool misses only because of its load answers 429 DEADLINE_UNMET with fits_at_ms and"
            + " Retry-After; the same request fits once the load is gone")
    void deadlineMissedUnderLoadIs429() {
        String tenant = SchedPool.tenant("load");
        SchedPool.measured(tenant);
        // ~8 s of decoding ahead of anything that arrives now.
        String blocker = submit(tenant, SchedPool.task("interactive", 400, 60_000));
        SchedPool.awaitState(tenant, blocker, "running");
        long stored = countRows("tasks");
        // 25 tokens take ~0.5 s idle: they fit 3 s alone, not behind the blocker.
        Map<String, Object> late = SchedPool.task("interactive", 25, 3_000);
        var refusal = as(tenant).contentType(ContentType.JSON).body(late).post("/v1/tasks").then()
                .statusCode(429)
                .header("Retry-After", notNullValue())
                .header("X-Backoff-Ms", notNullValue())
                .body("code", equalTo("DEADLINE_UNMET"))
                .body("stage", equalTo("deadline"))
                .body("retriable", equalTo(true))
                .body("fits_at_ms", greaterThan(0))
                .extract();
        assertThat(countRows("tasks")).isEqualTo(stored);
        // Retry when it would fit: the wait the answer suggests is the time it names.
        assertThat(refusal.<Integer>path("retry_after_ms")).isEqualTo(refusal.<Integer>path("fits_at_ms"));

        SchedPool.cancel(tenant, blocker);
        SchedPool.awaitIdle();
        String admitted = submit(tenant, late);
        SchedPool.awaitState(tenant, admitted, "succeeded");
    }

    @Test
    @DisplayName("SCH-4 among tasks with equal fair-share tags the earliest deadline starts first, whatever the arrival order;"
            + " each stream's metrics carry on_time_probability; deadlines_met_ratio and admission_share are exported")
    void earliestDeadlineFirstAmongEqualShares() throws Exception {
        String warm = SchedPool.tenant("edf-warm");
        SchedPool.measured(warm);
        String blocker = submit(warm, SchedPool.task("interactive", 100, 60_000));
        SchedPool.awaitState(warm, blocker, "running");
        // Two tenants with equal weights, both idle until now: their first tasks get equal tags, so the deadline decides.
        String relaxedTenant = SchedPool.tenant("edf-relaxed");
        String urgentTenant = SchedPool.tenant("edf-urgent");
        String relaxed = submit(relaxedTenant, SchedPool.task("interactive", 20, 60_000));
        String urgent = submit(urgentTenant, SchedPool.task("interactive", 20, 20_000));
        SchedPool.cancel(warm, blocker);

        SchedPool.awaitState(relaxedTenant, relaxed, "succeeded");
        SchedPool.awaitState(urgentTenant, urgent, "succeeded");
        OffsetDateTime urgentStart = OffsetDateTime.parse(as(urgentTenant).get("/v1/tasks/" + urgent).then().extract().path("started_at"));
        OffsetDateTime relaxedStart = OffsetDateTime.parse(as(relaxedTenant).get("/v1/tasks/" + relaxed).then().extract().path("started_at"));
        assertThat(urgentStart).as("the urgent task, submitted second, started first").isBefore(relaxedStart);
        assertThat(SchedPool.metric("deadlines_met_ratio{priority=\"interactive\"}")).as("deadlines_met_ratio").isBetween(0.0, 1.0);
        assertThat(SchedPool.metric("admission_share{priority=\"interactive\",tenant=\"" + urgentTenant + "\"}"))
                .as("admission_share of the urgent tenant").isGreaterThan(0.0);

        List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + urgent + "/stream", tenantToken(urgentTenant));
        assertThat(events).filteredOn(e -> e.name().equals("metrics")).isNotEmpty()
                .allSatisfy(e -> assertThat(e.data()).contains("\"on_time_probability\":"));
    }
}
