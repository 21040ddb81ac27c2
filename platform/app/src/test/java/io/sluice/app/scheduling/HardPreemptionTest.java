package io.sluice.app.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Sse;
import io.sluice.app.testing.SluiceStack;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Hard preemption (SCH-5, ADR 0027) through the API and the simulator process: pool-h runs one slot on a simulator
 * that declares interruptible decode; pool-d runs one slot on one that does not.
 */
@QuarkusTest
class HardPreemptionTest extends ApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HARD = "preemptions_total{engine=\"llamacpp\",mode=\"hard\"}";
    private static final String RESUMED = "resumptions_total{engine=\"llamacpp\"}";
    private static final int BATCH_TOKENS = 300;

    @Test
    @DisplayName("SCH-5 hard preemption: an interactive task arriving at a full interruptible pool stops the running batch task,"
            + " whose stream says metrics {preempted: true} with its resumable state, then resumes it: the final tokens equal"
            + " the same task's unpreempted run, none repeated or lost; preemptions_total{mode=hard} and resumptions_total count it")
    void SCH_5_runningBatchTaskIsPreemptedAndResumedWithoutDuplicateOrLostTokens() throws Exception {
        String tenant = SchedPool.tenant("hard");
        double hardBefore = orZero(SchedPool.metric(HARD));
        double resumedBefore = orZero(SchedPool.metric(RESUMED));

        // The reference: the same prompt and seed, run alone.
        Map<String, Object> reference = batch(7_001L);
        String referenceId = submit(tenant, reference);
        List<String> expected = tokenTexts(Sse.readAll(baseUrl() + "/v1/tasks/" + referenceId + "/stream", tenantToken(tenant)));
        assertThat(expected).hasSize(BATCH_TOKENS);

        String batch = submit(tenant, batch(7_001L));
        List<Sse.Event> events = new ArrayList<>();
        try (Sse.Stream stream = Sse.open(baseUrl() + "/v1/tasks/" + batch + "/stream", tenantToken(tenant), null)) {
            events.addAll(stream.until(new TokenCount(3)));
            Map<String, Object> urgent = task("hard-tiny");
            urgent.put("priority", "interactive");
            urgent.put("max_tokens", 5);
            String interactive = submit(tenant, urgent);
            events.addAll(stream.until(e -> e.terminal() || e.name().equals("metrics") && e.data().contains("\"preempted\":true")));
            // The interactive task runs in the slot the batch task gave up, and ends while the batch task still has
            // most of its tokens to go (at 50 tokens/s, seconds of them).
            SchedPool.awaitState(tenant, interactive, "succeeded");
            assertThat(SchedPool.state(tenant, batch)).as("the batch task is still unfinished").isIn("queued", "running");
            events.addAll(stream.until(Sse.Event::terminal));
        }
        Sse.assertMatchesContract(events);
        assertThat(events.get(events.size() - 1).name()).isEqualTo("end");

        int preemptedAt = -1;
        int resumedAt = -1;
        for (int k = 0; k < events.size(); k++) {
            if (!events.get(k).name().equals("metrics")) {
                continue;
            }
            JsonNode m = JSON.readTree(events.get(k).data());
            if (m.path("preempted").asBoolean(false)) {
                assertThat(preemptedAt).as("one preemption").isEqualTo(-1);
                preemptedAt = k;
                long before = events.subList(0, k).stream().filter(e -> e.name().equals("token")).count();
                assertThat(m.path("resumable").path("tokens_out").asLong()).as("resumable state: tokens so far").isEqualTo(before);
                assertThat(m.path("state").asText()).isEqualTo("queued");
            } else if (m.path("resumed").asBoolean(false)) {
                resumedAt = k;
            }
        }
        assertThat(preemptedAt).as("a metrics {preempted: true} frame").isPositive();
        assertThat(resumedAt).as("a metrics {resumed: true} frame after it").isGreaterThan(preemptedAt);
        List<Long> indices = new ArrayList<>();
        for (Sse.Event e : events) {
            if (e.name().equals("token")) {
                indices.add(JSON.readTree(e.data()).path("i").asLong());
            }
        }
        List<Long> contiguous = new ArrayList<>();
        for (long i = 0; i < BATCH_TOKENS; i++) {
            contiguous.add(i);
        }
        assertThat(indices).as("token indices: none repeated, none lost").isEqualTo(contiguous);
        assertThat(tokenTexts(events)).as("the resumed stream equals the unpreempted one").isEqualTo(expected);

        as(tenant).get("/v1/tasks/" + batch).then().statusCode(200)
                .body("state", equalTo("succeeded"))
                .body("tokens_out", equalTo(BATCH_TOKENS));

        assertThat(SchedPool.metric(HARD)).as(HARD).isEqualTo(hardBefore + 1);
        assertThat(SchedPool.metric(RESUMED)).as(RESUMED).isEqualTo(resumedBefore + 1);
        Await.until(Duration.ofSeconds(30), () -> SluiceStack.simStats("h0").path("active").asInt() == 0, "h0 has no active slot");
    }

    @Test
    @DisplayName("SCH-5: on an engine without interruptible_decode a running batch task is never stopped; the interactive arrival"
            + " waits for the slot and preemptions_total{mode=hard} stays")
    void SCH_5_engineWithoutInterruptibleDecodeNeverHardPreempts() throws Exception {
        String tenant = SchedPool.tenant("nohard");
        double hardBefore = orZero(SchedPool.metric(HARD));
        double resumedBefore = orZero(SchedPool.metric(RESUMED));
        String batch = submit(tenant, SchedPool.task("batch", 100, 600_000));
        List<Sse.Event> events = new ArrayList<>();
        try (Sse.Stream stream = Sse.open(baseUrl() + "/v1/tasks/" + batch + "/stream", tenantToken(tenant), null)) {
            events.addAll(stream.until(new TokenCount(3)));
            String interactive = submit(tenant, SchedPool.task("interactive", 5, 600_000));
            assertThat(SchedPool.state(tenant, interactive)).as("the arrival waits: the batch task keeps its slot").isEqualTo("queued");
            events.addAll(stream.until(Sse.Event::terminal));
            SchedPool.awaitState(tenant, interactive, "succeeded");
        }
        assertThat(events.get(events.size() - 1).name()).isEqualTo("end");
        for (Sse.Event e : events) {
            if (e.name().equals("metrics")) {
                assertThat(JSON.readTree(e.data()).path("preempted").asBoolean(false)).as("no preemption frame").isFalse();
            }
        }
        assertThat(events.stream().filter(e -> e.name().equals("token")).count()).isEqualTo(100);
        assertThat(orZero(SchedPool.metric(HARD))).as(HARD).isEqualTo(hardBefore);
        assertThat(orZero(SchedPool.metric(RESUMED))).as(RESUMED).isEqualTo(resumedBefore);
        SchedPool.awaitIdle();
    }

    private static Map<String, Object> batch(long seed) {
        Map<String, Object> b = task("hard-tiny");
        b.put("priority", "batch");
        b.put("max_tokens", BATCH_TOKENS);
        b.put("seed", seed);
        b.put("prompt", "A long batch answer");
        return b;
    }

    private static List<String> tokenTexts(List<Sse.Event> events) throws Exception {
        List<String> out = new ArrayList<>();
        for (Sse.Event e : events) {
            if (e.name().equals("token")) {
                out.add(JSON.readTree(e.data()).path("t").asText());
            }
        }
        return out;
    }

    /** Stops reading a stream at its n-th token event (or its end). */
    private static final class TokenCount implements java.util.function.Predicate<Sse.Event> {
        private int left;

        TokenCount(int n) {
            this.left = n;
        }

        @Override
        public boolean test(Sse.Event e) {
            return e.terminal() || e.name().equals("token") && --left == 0;
        }
    }

    private static double orZero(Double v) {
        return v == null ? 0.0 : v;
    }
}
