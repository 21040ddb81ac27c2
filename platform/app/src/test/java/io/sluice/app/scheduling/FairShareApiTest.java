package io.sluice.app.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sluice.app.tenancy.TenantDirectory;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Weighted fair shares through the API on pool-z ({@code fair-tiny}: one slot at 100 tokens/s, 1,000 queue places per
 * priority). A long task holds the only slot while three flows queue up — every flow backlogged — and is then canceled;
 * the order the waiting tasks start in ({@code started_at}) is the dispatch order. The bounded counterpart of
 * {@code bin/sluice bench fairness} (docs/benchmarks/fairness.md).
 */
@QuarkusTest
class FairShareApiTest extends ApiTest {
    private static final String MODEL = "fair-tiny";

    @Inject
    TenantDirectory tenants;

    /** A flow: its tenant, the tenant weight set through the admin API, the priority, and tasks submitted. */
    private record Flow(String tenant, double tenantWeight, String priority, int tasks) {
        double weight() {
            return tenantWeight * ("interactive".equals(priority) ? 8 : 1);
        }
    }

    @Test
    @DisplayName("SCH-1 SCH-2 three backlogged flows — tenant weights 1, 3, 1 set through the admin API, priorities interactive,"
            + " batch, batch — get 8 : 3 : 1 of the dispatches within ±5 points, and each flow starts in arrival order")
    void backloggedFlowsGetTheirWeightShareThroughTheApi() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        // Submitted in proportion to the weights, so that every flow stays backlogged until the last dispatches.
        List<Flow> flows = List.of(
                new Flow("fair-" + run + "-a", 1, "interactive", 120),
                new Flow("fair-" + run + "-b", 3, "batch", 45),
                new Flow("fair-" + run + "-c", 1, "batch", 15));
        for (Flow f : flows) {
            asAdmin().contentType(ContentType.JSON).body(Map.of("weight", f.tenantWeight())).put("/v1/tenants/" + f.tenant())
                    .then().statusCode(201);
        }
        Await.until(Duration.ofSeconds(2), () -> flows.stream().allMatch(f -> tenants.weightOf(f.tenant()) == f.tenantWeight()),
                "the tenant weights are in force");

        String holder = "fair-" + run + "-holder";
        // 39 s at 100 tokens/s: far longer than the submissions take, and canceled as soon as they are done.
        String blocker = submit(holder, task("interactive", 3900));
        SchedPool.awaitState(holder, blocker, "running");

        // Interleaved arrivals, as concurrent clients would send them; ids in submission order per flow.
        Map<Flow, List<String>> submitted = new LinkedHashMap<>();
        flows.forEach(f -> submitted.put(f, new ArrayList<>()));
        int rounds = flows.stream().mapToInt(Flow::tasks).max().orElseThrow();
        for (int i = 0; i < rounds; i++) {
            for (Flow f : flows) {
                if (i * f.tasks() / rounds != (i + 1) * f.tasks() / rounds) {
                    submitted.get(f).add(submit(f.tenant(), task(f.priority(), 2)));
                }
            }
        }
        assertThat(SchedPool.state(holder, blocker)).as("the slot was held while every flow queued").isEqualTo("running");
        SchedPool.cancel(holder, blocker);

        record Start(Flow flow, int arrival, OffsetDateTime at) {}
        List<Start> starts = new ArrayList<>();
        for (Map.Entry<Flow, List<String>> e : submitted.entrySet()) {
            List<String> ids = e.getValue();
            String tenant = e.getKey().tenant();
            SchedPool.awaitState(tenant, ids.get(ids.size() - 1), "succeeded");
            for (int i = 0; i < ids.size(); i++) {
                String startedAt = as(tenant).get("/v1/tasks/" + ids.get(i)).then().statusCode(200).extract().path("started_at");
                starts.add(new Start(e.getKey(), i, OffsetDateTime.parse(startedAt)));
            }
        }
        starts.sort(Comparator.comparing(Start::at));

        // SCH-2: within a flow, tasks start in the order they arrived.
        for (Flow f : flows) {
            List<Integer> order = starts.stream().filter(s -> s.flow() == f).map(Start::arrival).toList();
            assertThat(order).as("start order of %s's tasks", f.tenant()).isSorted();
        }
        // SCH-1: over the dispatches made while every flow still waited (the first 80 %; the flows drain together at the
        // end), each flow's share is its weight's within ±5 points. Ignoring the weights would give a third each.
        int counted = starts.size() * 4 / 5;
        double weightSum = flows.stream().mapToDouble(Flow::weight).sum();
        for (Flow f : flows) {
            long dispatched = starts.subList(0, counted).stream().filter(s -> s.flow() == f).count();
            double measured = 100.0 * dispatched / counted;
            double configured = 100.0 * f.weight() / weightSum;
            assertThat(measured).as("share of %s (%s, tenant weight %s) in %d dispatches", f.tenant(), f.priority(), f.tenantWeight(), counted)
                    .isCloseTo(configured, org.assertj.core.data.Offset.offset(5.0));
        }
    }

    private static Map<String, Object> task(String priority, int maxTokens) {
        Map<String, Object> b = ApiTest.task(MODEL);
        b.put("priority", priority);
        b.put("max_tokens", maxTokens);
        b.put("deadline_ms", 600_000);
        return b;
    }
}
