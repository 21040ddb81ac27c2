package io.sluice.app.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.Sse;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The event stream as SSE clients meet it (SSE-1, SSE-2): its framing (no caching, a reconnection hint, comments while
 * quiet), resuming at, past or ahead of events, and several readers of one task.
 */
@QuarkusTest
class StreamTest extends ApiTest {
    private static final String TENANT = "stream-tenant";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static Map<String, Object> slowTask(int maxTokens) {
        Map<String, Object> b = task("slow-tiny");
        b.put("max_tokens", maxTokens);
        return b;
    }

    private static HttpResponse<InputStream> openRaw(String id) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/v1/tasks/" + id + "/stream"))
                .header("Authorization", "Bearer " + tenantToken(TENANT)).header("Accept", "text/event-stream")
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    @Test
    @DisplayName("SSE-1 a stream is not cacheable, starts with a retry hint and sends keep-alive comments while the task waits")
    void framingAndHeartbeats() throws Exception {
        String running = submit(TENANT, slowTask(40));
        String queued = submit(TENANT, slowTask(4));
        HttpResponse<InputStream> r = openRaw(queued);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-cache");
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            boolean retry = false;
            boolean heartbeat = false;
            boolean tokenBeforeHeartbeat = false;
            String line;
            String event = "message";
            while ((line = in.readLine()) != null && !heartbeat) {
                retry |= line.startsWith("retry:") && !tokenBeforeHeartbeat;
                tokenBeforeHeartbeat |= line.startsWith("event: token");
                heartbeat = line.startsWith(":") && line.contains("keep-alive");
                if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    // Every frame read raw here is still checked against the contract (events are one data line each).
                    assertThat(Contract.sseViolations(event, line.substring(5).trim())).as("%s frame %s", event, line).isEmpty();
                } else if (line.isEmpty()) {
                    event = "message";
                }
            }
            assertThat(retry).as("retry: is sent before any event").isTrue();
            assertThat(heartbeat).as("a comment line while the task is queued behind " + running).isTrue();
            assertThat(tokenBeforeHeartbeat).as("the task was still queued when the comment came").isFalse();
        }
        as(TENANT).post("/v1/tasks/" + running + "/cancel").then().statusCode(204);
    }

    @Test
    @DisplayName("SSE-2 resuming at or past a finished task's terminal event ends the stream at once, without events")
    void resumeAtTheEndEndsAtOnce() throws Exception {
        String id = submit(TENANT, task("dev-tiny"));
        List<Sse.Event> all = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
        long terminal = all.get(all.size() - 1).id();
        for (long lastSeen : new long[] {terminal, terminal + 100}) {
            try (Sse.Stream s = Sse.open(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT), Long.toString(lastSeen))) {
                assertThat(s.status()).isEqualTo(200);
                assertThat(s.next()).as("no event after Last-Event-ID %d", lastSeen).isNull();
            }
        }
    }

    @Test
    @DisplayName("SSE-2 a Last-Event-ID ahead of a running task's log sends only the later events")
    void resumeAheadOfTheLog() throws Exception {
        String id = submit(TENANT, slowTask(20));
        try (Sse.Stream s = Sse.open(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT), "8")) {
            List<Sse.Event> events = s.until(Sse.Event::terminal);
            assertThat(events).isNotEmpty();
            assertThat(events).allSatisfy(e -> assertThat(e.id()).isGreaterThan(8L));
            assertThat(events.get(0).id()).isEqualTo(9L);
            assertThat(events.get(events.size() - 1).terminal()).isTrue();
        }
    }

    @Test
    @DisplayName("SSE-1 several readers of one task receive the same events in the same order")
    void severalReaders() throws Exception {
        String id = submit(TENANT, slowTask(12));
        CompletableFuture<List<Sse.Event>> first =
                CompletableFuture.supplyAsync(() -> Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT)));
        CompletableFuture<List<Sse.Event>> second =
                CompletableFuture.supplyAsync(() -> Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT)));
        List<Sse.Event> a = first.get();
        assertThat(a.get(a.size() - 1).name()).isEqualTo("end");
        assertThat(second.get()).isEqualTo(a);
        Sse.assertMatchesContract(a);
    }

    @Test
    @DisplayName("a stream refused before it starts answers the contract's typed error: 401 (no token, a bad token), 403, 400 and 404")
    void refusedStreamsAnswerTypedErrors() {
        String id = submit(TENANT, task("dev-tiny"));
        io.restassured.RestAssured.given().filter(Contract.NO_TOKEN).get("/v1/tasks/" + id + "/stream")
                .then().statusCode(401).header("WWW-Authenticate", org.hamcrest.Matchers.startsWith("Bearer"))
                .body("code", org.hamcrest.Matchers.equalTo("UNAUTHENTICATED"));
        io.restassured.RestAssured.given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer not-a-jwt")
                .get("/v1/tasks/" + id + "/stream")
                .then().statusCode(401).header("WWW-Authenticate", org.hamcrest.Matchers.startsWith("Bearer"))
                .body("code", org.hamcrest.Matchers.equalTo("UNAUTHENTICATED"));
        io.restassured.RestAssured.given().filter(Contract.STRICT).header("Authorization", "Bearer " + adminToken())
                .get("/v1/tasks/" + id + "/stream").then().statusCode(403).body("code", org.hamcrest.Matchers.equalTo("FORBIDDEN"));
        // deliberately invalid requests: only the answers are held to the contract
        io.restassured.RestAssured.given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT))
                .header("Last-Event-ID", "-3").get("/v1/tasks/" + id + "/stream")
                .then().statusCode(400).body("code", org.hamcrest.Matchers.equalTo("INVALID_PARAMS"));
        io.restassured.RestAssured.given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT))
                .get("/v1/tasks/not-a-uuid/stream").then().statusCode(400).body("field", org.hamcrest.Matchers.equalTo("path.task_id"));
        as(TENANT).get("/v1/tasks/" + java.util.UUID.randomUUID() + "/stream").then().statusCode(404)
                .body("code", org.hamcrest.Matchers.equalTo("NOT_FOUND"));
    }
}
