package io.sluice.app.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.SluiceStack;
import io.sluice.app.testing.Sse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Cancel on the slow pool: one slot at 20 tokens/s, so a task is reliably running or queued when canceled. */
@QuarkusTest
class CancelTest extends ApiTest {
    private static final String TENANT = "cancel-tenant";

    private static Map<String, Object> longTask() {
        Map<String, Object> b = task("slow-tiny");
        b.put("max_tokens", 400);
        // 20 s each on the slow pool: a deadline they can meet queued behind one another, or admission refuses (SCH-4).
        b.put("deadline_ms", 600_000);
        return b;
    }

    @Test
    @DisplayName("SSE-3 canceling a running task: 204, no token after CANCELED, the engine slot is freed")
    void cancelRunning() throws Exception {
        long abortedBefore = SluiceStack.simStats("s0").path("aborted").asLong();
        String id = submit(TENANT, longTask());
        try (Sse.Stream s = Sse.open(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT), null)) {
            List<Sse.Event> before = s.until(e -> e.name().equals("token") && e.data().contains("\"i\":2"));
            assertThat(before).extracting(Sse.Event::name).contains("started", "token");

            as(TENANT).post("/v1/tasks/" + id + "/cancel").then().statusCode(204);

            List<Sse.Event> after = s.until(Sse.Event::terminal);
            Sse.Event terminal = after.get(after.size() - 1);
            assertThat(terminal.name()).isEqualTo("error");
            assertThat(terminal.data()).contains("\"code\":\"CANCELED\"");
        }
        List<Sse.Event> all = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
        assertThat(all.get(all.size() - 1).data()).contains("CANCELED");
        assertThat(all.stream().filter(Sse.Event::terminal)).hasSize(1);
        Sse.assertMatchesContract(all);

        as(TENANT).get("/v1/tasks/" + id).then().statusCode(200).body("state", equalTo("canceled")).body("error.code", equalTo("CANCELED"));
        awaitSim("s0 aborted the generation and has no active slot", () -> SluiceStack.simStats("s0").path("active").asInt() == 0
                && SluiceStack.simStats("s0").path("aborted").asLong() > abortedBefore);
        // Cancel is idempotent on an ended task.
        as(TENANT).post("/v1/tasks/" + id + "/cancel").then().statusCode(204);
    }

    @Test
    @DisplayName("SSE-3 canceling a queued task removes it from the queue; it never produces a token")
    void cancelQueued() throws Exception {
        String running = submit(TENANT, longTask());
        String queued = submit(TENANT, longTask());
        as(TENANT).get("/v1/tasks/" + queued).then().statusCode(200).body("state", equalTo("queued"));

        as(TENANT).post("/v1/tasks/" + queued + "/cancel").then().statusCode(204);

        List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + queued + "/stream", tenantToken(TENANT));
        assertThat(events).extracting(Sse.Event::name).containsExactly("started", "error");
        assertThat(events.get(1).data()).contains("CANCELED");
        as(TENANT).get("/v1/tasks/" + queued).then().body("state", equalTo("canceled")).body("tokens_out", equalTo(0));

        as(TENANT).post("/v1/tasks/" + running + "/cancel").then().statusCode(204);
        awaitSim("s0 has no active slot", () -> SluiceStack.simStats("s0").path("active").asInt() == 0);
    }

    @Test
    @DisplayName("SSE-3 with cancel_on_disconnect the task is canceled when its reader disconnects; the engine slot is freed")
    void cancelOnDisconnect() throws Exception {
        long abortedBefore = SluiceStack.simStats("s0").path("aborted").asLong();
        Map<String, Object> body = longTask();
        body.put("cancel_on_disconnect", true);
        String id = submit(TENANT, body);
        try (Sse.Stream s = Sse.open(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT), null)) {
            s.until(e -> e.name().equals("token"));
        }
        awaitState(id, "canceled");
        awaitSim("s0 aborted the generation and has no active slot", () -> SluiceStack.simStats("s0").path("active").asInt() == 0
                && SluiceStack.simStats("s0").path("aborted").asLong() > abortedBefore);
    }

    @Test
    @DisplayName("SSE-2 by default a task runs on when its reader disconnects, and its stream can be resumed")
    void disconnectDoesNotCancelByDefault() throws Exception {
        Map<String, Object> body = task("slow-tiny");
        body.put("max_tokens", 12);
        String id = submit(TENANT, body);
        long lastSeen;
        try (Sse.Stream s = Sse.open(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT), null)) {
            List<Sse.Event> seen = s.until(e -> e.name().equals("token"));
            lastSeen = seen.get(seen.size() - 1).id();
        }
        try (Sse.Stream s = Sse.open(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT), Long.toString(lastSeen))) {
            List<Sse.Event> rest = s.until(Sse.Event::terminal);
            assertThat(rest.get(0).id()).isEqualTo(lastSeen + 1);
            assertThat(rest.get(rest.size() - 1).name()).isEqualTo("end");
        }
        as(TENANT).get("/v1/tasks/" + id).then().body("state", equalTo("succeeded")).body("tokens_out", equalTo(12));
    }

    private static void awaitState(String id, String state) {
        Await.until(Duration.ofSeconds(30), () -> state.equals(as(TENANT).get("/v1/tasks/" + id).then().extract().path("state")),
                "task " + id + " reached state " + state);
    }

    /** Waits until the engine simulator reports {@code condition} (its counters are updated after the HTTP exchange). */
    static void awaitSim(String description, java.util.function.BooleanSupplier condition) {
        Await.until(Duration.ofSeconds(30), condition, description);
    }
}
