package io.sluice.app.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.SluiceStack;
import io.sluice.app.testing.Sse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Engine failures on the fault pool (pool-f: replicas r0 = f0 and r1 = f1, 1.5 s idle watchdog). Placement is
 * deterministic on an idle pool (most free slots, then replica id), so a new task lands on r0 first.
 */
@QuarkusTest
class EngineFaultTest extends ApiTest {
    private static final String TENANT = "fault-tenant";

    @AfterEach
    void clear() {
        SluiceStack.clearFaults("f0");
        SluiceStack.clearFaults("f1");
    }

    private List<Sse.Event> run(Map<String, Object> body) {
        String id = submit(TENANT, body);
        return Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
    }

    @Test
    @DisplayName("REL-1 POOL-4 a worker crash mid-stream ends the task with WORKER_RESET, exactly one terminal event")
    void crashMidStream() {
        SluiceStack.armFault("f0", "{\"mode\":\"crash_mid_stream\",\"after_tokens\":3,\"count\":1}");
        SluiceStack.armFault("f1", "{\"mode\":\"crash_mid_stream\",\"after_tokens\":3,\"count\":1}");
        List<Sse.Event> events = run(task("fault-tiny"));
        Sse.Event last = events.get(events.size() - 1);
        assertThat(last.name()).isEqualTo("error");
        assertThat(last.data()).contains("\"code\":\"WORKER_RESET\"").contains("\"pool_id\":\"pool-f\"");
        assertThat(events.stream().filter(e -> e.name().equals("token"))).hasSize(3);
        assertThat(events.stream().filter(Sse.Event::terminal)).hasSize(1);
        Sse.assertMatchesContract(events);
    }

    @Test
    @DisplayName("REL-1 a task that produced no token yet is retried once on another replica and completes")
    void retryBeforeFirstToken() {
        // Placement picks the replica with most free slots, r0 on a tie: a task another test left on f0 would send
        // this one to f1 and past the armed fault.
        CancelTest.awaitSim("f0 and f1 have no active slot before the fault is armed", () -> SluiceStack.simStats("f0").path("active").asInt() == 0
                && SluiceStack.simStats("f1").path("active").asInt() == 0);
        long faultedBefore = SluiceStack.simStats("f0").path("faulted").asLong();
        SluiceStack.armFault("f0", "{\"mode\":\"http_5xx\",\"status\":500,\"count\":1}");
        Map<String, Object> body = task("fault-tiny");
        List<Sse.Event> events = run(body);
        assertThat(events.get(events.size() - 1).name()).isEqualTo("end");
        assertThat(events.stream().filter(e -> e.name().equals("token"))).hasSize(16);
        assertThat(SluiceStack.simStats("f0").path("faulted").asLong()).isEqualTo(faultedBefore + 1);
        as(TENANT).get("/v1/tasks/" + body.get("task_id")).then().statusCode(200)
                .body("state", equalTo("succeeded"))
                .body("replica_id", equalTo("pool-f/r1"));
    }

    @Test
    @DisplayName("SCH-7 a hung engine is aborted by the idle watchdog with DECODE_TIMEOUT and its slot is freed")
    void watchdogAbortsHang() throws Exception {
        SluiceStack.armFault("f0", "{\"mode\":\"hang\",\"after_tokens\":2,\"count\":1}");
        SluiceStack.armFault("f1", "{\"mode\":\"hang\",\"after_tokens\":2,\"count\":1}");
        List<Sse.Event> events = run(task("fault-tiny"));
        Sse.Event last = events.get(events.size() - 1);
        assertThat(last.name()).isEqualTo("error");
        assertThat(last.data()).contains("\"code\":\"DECODE_TIMEOUT\"").contains("\"pool_id\":\"pool-f\"")
                .as("the idle limit fired, not the wall limit").contains("no token for 1500 ms");
        assertThat(events.stream().filter(e -> e.name().equals("token"))).hasSize(2);
        assertThat(events.stream().filter(Sse.Event::terminal)).hasSize(1);
        CancelTest.awaitSim("f0 and f1 have no active slot after the watchdog abort", () -> SluiceStack.simStats("f0").path("active").asInt() == 0
                && SluiceStack.simStats("f1").path("active").asInt() == 0);
    }

    @Test
    @DisplayName("REL-1 POOL-4 a garbage frame from the engine ends the task with WORKER_RESET")
    void garbageFrame() {
        SluiceStack.armFault("f0", "{\"mode\":\"garbage\",\"after_tokens\":1,\"count\":1}");
        SluiceStack.armFault("f1", "{\"mode\":\"garbage\",\"after_tokens\":1,\"count\":1}");
        List<Sse.Event> events = run(task("fault-tiny"));
        Sse.Event last = events.get(events.size() - 1);
        assertThat(last.name()).isEqualTo("error");
        assertThat(last.data()).contains("\"code\":\"WORKER_RESET\"").contains("\"pool_id\":\"pool-f\"");
        assertThat(events.stream().filter(Sse.Event::terminal)).hasSize(1);
    }
}
