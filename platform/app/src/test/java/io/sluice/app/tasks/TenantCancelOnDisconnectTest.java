package io.sluice.app.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.SluiceStack;
import io.sluice.app.testing.Sse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The tenant-level {@code cancel_on_disconnect} setting on the slow pool (one slot at 20 tokens/s): a request that does
 * not say takes the tenant's setting; one that does decides for itself.
 */
@QuarkusTest
class TenantCancelOnDisconnectTest extends ApiTest {

    private static String tenantCancelingOnDisconnect() {
        String tenant = "cod-" + UUID.randomUUID().toString().substring(0, 8);
        asAdmin().contentType(ContentType.JSON)
                .body(Map.of("display_name", "cancels on disconnect", "weight", 1.0, "labels", Map.of(), "cancel_on_disconnect", true))
                .put("/v1/tenants/" + tenant).then().statusCode(201).body("cancel_on_disconnect", equalTo(true));
        asAdmin().get("/v1/tenants/" + tenant).then().statusCode(200).body("cancel_on_disconnect", equalTo(true));
        return tenant;
    }

    private static void awaitState(String tenant, String id, String state) {
        Await.until(Duration.ofSeconds(30), () -> state.equals(as(tenant).get("/v1/tasks/" + id).then().extract().path("state")),
                "task " + id + " reached state " + state);
    }

    @Test
    @DisplayName("SSE-3 a tenant set to cancel_on_disconnect: its task whose request does not say is canceled when its reader"
            + " disconnects; the engine request is aborted and the slot freed")
    void tenantSettingCancelsOnDisconnect() throws Exception {
        String tenant = tenantCancelingOnDisconnect();
        long abortedBefore = SluiceStack.simStats("s0").path("aborted").asLong();
        Map<String, Object> body = task("slow-tiny");
        body.put("max_tokens", 400); // 20 s on the slow pool: still running when the reader leaves
        body.put("deadline_ms", 600_000);
        assertThat(body).doesNotContainKey("cancel_on_disconnect");
        String id = submit(tenant, body);
        try (Sse.Stream s = Sse.open(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(tenant), null)) {
            s.until(e -> e.name().equals("token"));
        }
        awaitState(tenant, id, "canceled");
        as(tenant).get("/v1/tasks/" + id).then().body("error.code", equalTo("CANCELED"));
        CancelTest.awaitSim("s0 aborted the generation and has no active slot", () -> SluiceStack.simStats("s0").path("active").asInt() == 0
                && SluiceStack.simStats("s0").path("aborted").asLong() > abortedBefore);
    }

    @Test
    @DisplayName("SSE-2 SSE-3 a request saying cancel_on_disconnect false runs on when its reader disconnects, whatever its"
            + " tenant's setting, and its stream can be resumed")
    void requestOverridesTenantSetting() throws Exception {
        String tenant = tenantCancelingOnDisconnect();
        Map<String, Object> body = task("slow-tiny");
        body.put("max_tokens", 12);
        body.put("cancel_on_disconnect", false);
        String id = submit(tenant, body);
        long lastSeen;
        try (Sse.Stream s = Sse.open(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(tenant), null)) {
            List<Sse.Event> seen = s.until(e -> e.name().equals("token"));
            lastSeen = seen.get(seen.size() - 1).id();
        }
        try (Sse.Stream s = Sse.open(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(tenant), Long.toString(lastSeen))) {
            List<Sse.Event> rest = s.until(Sse.Event::terminal);
            assertThat(rest.get(rest.size() - 1).name()).isEqualTo("end");
        }
        as(tenant).get("/v1/tasks/" + id).then().body("state", equalTo("succeeded")).body("tokens_out", equalTo(12));
    }

    @Test
    @DisplayName("a tenant replaced without cancel_on_disconnect reads false again and stores false")
    void settingIsStoredAndReplaced() {
        String tenant = tenantCancelingOnDisconnect();
        asAdmin().contentType(ContentType.JSON).body(Map.of("weight", 2.0)).put("/v1/tenants/" + tenant).then().statusCode(200)
                .body("cancel_on_disconnect", equalTo(false));
        assertThat(countRows("tenants where id = '" + tenant + "' and cancel_on_disconnect")).isZero();
    }
}
