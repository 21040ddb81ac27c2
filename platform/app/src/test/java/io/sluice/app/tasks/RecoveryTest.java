package io.sluice.app.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.sluice.app.scheduling.TaskRecovery;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Sse;
import jakarta.inject.Inject;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What a restart finds: rows a previous process left queued or running (written here straight into
 * PostgreSQL, as a crashed process would leave them) are resolved by the start-up recovery.
 */
@QuarkusTest
class RecoveryTest extends ApiTest {
    private static final String TENANT = "recovery-tenant";

    @Inject
    TaskRecovery recovery;

    private static String leftover(String state) {
        String task = UUID.randomUUID().toString();
        String session = UUID.randomUUID().toString();
        sql("insert into tenants (id) values ('" + TENANT + "') on conflict do nothing");
        sql("insert into sessions (id, tenant_id, created_at, expires_at, turns, max_turns) values ('" + session + "', '" + TENANT
                + "', now(), now() + interval '10 minutes', 1, 8)");
        sql("insert into tasks (id, tenant_id, session_id, fingerprint, request_json, workload, model_ref, engine, priority, state,"
                + " pool_id, created_at) values ('" + task + "', '" + TENANT + "', '" + session + "', 'f', '{}', 'completion',"
                + " 'dev-tiny', 'llamacpp', 'interactive', '" + state + "', 'pool-a', now())");
        return task;
    }

    @Test
    @DisplayName("REL-2 tasks left queued or running by a previous process end with a retriable WORKER_RESET")
    void resolvesLeftovers() throws Throwable {
        String queued = leftover("queued");
        String running = leftover("running");

        assertThat(recovery.recoverLeftovers()).isGreaterThanOrEqualTo(2);

        for (String id : List.of(queued, running)) {
            as(TENANT).get("/v1/tasks/" + id).then().statusCode(200)
                    .body("state", equalTo("failed"))
                    .body("error.code", equalTo("WORKER_RESET"))
                    .body("error.retriable", equalTo(true));
            List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
            assertThat(events).extracting(Sse.Event::name).containsExactly("error");
            assertThat(events.get(0).data()).contains("WORKER_RESET");
            assertThat(countRows("task_events where task_id = '" + id + "' and kind = 'recovered'")).isEqualTo(1);
        }
        assertThat(countRows("tasks where state in ('queued', 'running') and tenant_id = '" + TENANT + "'")).isZero();
    }
}
