package io.sluice.app.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Sse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What the recovery sweep of the running instance resolves: rows left queued or running by an instance whose lease
 * expired (written here straight into PostgreSQL, as a crashed instance would leave them), and only those. The tests do
 * not call the sweep: they wait for the instance's own periodic sweep (every half lease), so they prove the schedule
 * as well as the resolution. A real process restart is {@code ClusterIT}'s part.
 */
@QuarkusTest
class RecoveryTest extends ApiTest {
    private static final String TENANT = "recovery-tenant";

    /** The default lease is 10 s, so a sweep runs every 5 s; the bound leaves room for a slow machine. */
    private static final Duration SWEEP_BOUND = Duration.ofSeconds(60);

    private static String leftover(String state, String owner, Long eventIdBound) {
        String task = UUID.randomUUID().toString();
        String session = UUID.randomUUID().toString();
        sql("insert into tenants (id) values ('" + TENANT + "') on conflict do nothing");
        sql("insert into sessions (id, tenant_id, created_at, expires_at, turns, max_turns) values ('" + session + "', '" + TENANT
                + "', now(), now() + interval '10 minutes', 1, 8)");
        sql("insert into tasks (id, tenant_id, session_id, fingerprint, request_json, workload, model_ref, engine, priority, state,"
                + " pool_id, created_at, owner_instance, event_id_bound) values ('" + task + "', '" + TENANT + "', '" + session
                + "', 'f', '{}', 'completion', 'dev-tiny', 'llamacpp', 'interactive', '" + state + "', 'pool-a', now(), "
                + (owner == null ? "null" : "'" + owner + "'") + ", " + (eventIdBound == null ? "null" : eventIdBound) + ")");
        return task;
    }

    private static String instance(String id, String leaseUntil) {
        sql("insert into instances (id, advertised_url, lease_until) values ('" + id + "', 'http://127.0.0.1:1', " + leaseUntil + ")");
        return id;
    }

    @Test
    @DisplayName("REL-2 REL-5 the periodic sweep ends the tasks of an instance whose lease expired with a retriable WORKER_RESET"
            + " at their event-id bound")
    void resolvesTasksOfExpiredInstances() throws Exception {
        String dead = instance("dead-" + UUID.randomUUID(), "now() - interval '1 second'");
        String queued = leftover("queued", dead, 20L);
        String running = leftover("running", dead, 20L);
        String legacy = leftover("running", null, null);

        awaitResolved(queued, running, legacy);

        for (String id : List.of(queued, running, legacy)) {
            as(TENANT).get("/v1/tasks/" + id).then().statusCode(200)
                    .body("state", equalTo("failed"))
                    .body("error.code", equalTo("WORKER_RESET"))
                    .body("error.retriable", equalTo(true));
            List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
            assertThat(events).extracting(Sse.Event::name).containsExactly("error");
            assertThat(events.get(0).data()).contains("WORKER_RESET");
            assertThat(events.get(0).id()).isEqualTo(id.equals(legacy) ? 1L : 20L);
            assertThat(countRows("task_events where task_id = '" + id + "' and kind = 'recovered'")).isEqualTo(1);
        }
        assertThat(countRows("instances where id = '" + dead + "' and resolved_at is not null")).isEqualTo(1);
    }

    @Test
    @DisplayName("REL-5 the periodic sweep leaves the tasks of instances holding a live lease alone")
    void leavesTasksOfLiveInstances() throws Exception {
        String alive = instance("alive-" + UUID.randomUUID(), "now() + interval '1 hour'");
        String running = leftover("running", alive, 20L);
        // A task of an expired instance written after it: once that one is resolved, a sweep has seen both rows.
        String dead = instance("dead-" + UUID.randomUUID(), "now() - interval '1 second'");
        String witness = leftover("running", dead, 20L);
        awaitResolved(witness);

        assertThat(countRows("tasks where id = '" + running + "' and state = 'running'")).isEqualTo(1);
        assertThat(countRows("task_events where task_id = '" + running + "'")).isZero();
        sql("update instances set lease_until = now() - interval '1 second' where id = '" + alive + "'");
        awaitResolved(running);
    }

    private static void awaitResolved(String... ids) {
        for (String id : ids) {
            Await.until(SWEEP_BOUND, () -> countRows("tasks where id = '" + id + "' and state = 'failed'") == 1,
                    "the periodic sweep resolved task " + id);
        }
    }
}
