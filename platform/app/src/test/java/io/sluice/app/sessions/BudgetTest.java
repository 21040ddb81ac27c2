package io.sluice.app.sessions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.Sse;
import io.sluice.app.testing.SluiceStack;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Per-session budgets through the HTTP API (SES-4): at admission, in headers and metrics, and during a stream. */
@QuarkusTest
class BudgetTest extends ApiTest {
    private static final String TENANT = "budget-tenant";

    private static Map<String, Object> turn(String model, String session, int maxTokens, Map<String, Object> budget) {
        Map<String, Object> b = task(model);
        b.put("session_id", session);
        b.put("max_tokens", maxTokens);
        if (budget != null) {
            b.put("session_budget", budget);
        }
        return b;
    }

    private static ValidatableResponse post(Map<String, Object> body) {
        return as(TENANT).contentType(ContentType.JSON).body(body).post("/v1/tasks").then();
    }

    /** The session's budget columns as stored, for failure messages. */
    private static String sessionRow(String session) {
        try (var c = java.sql.DriverManager.getConnection(SluiceStack.database().jdbcUrl(), "postgres", "postgres");
                var st = c.createStatement();
                var rs = st.executeQuery("select tokens_budget, tokens_used, tokens_reserved, tokens_left_at_last_admission, turns"
                        + " from sessions where id = '" + session + "'")) {
            return rs.next() ? "budget=" + rs.getString(1) + " used=" + rs.getString(2) + " reserved=" + rs.getString(3) + " left_at_last="
                    + rs.getString(4) + " turns=" + rs.getString(5) : "no session row";
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until the session's stored usage and reservations are as expected. */
    private static void awaitSession(String session, long used, long reserved, String what) {
        try {
            Await.until(Duration.ofSeconds(10), () -> countRows("sessions where id = '" + session + "' and tokens_used = " + used
                    + " and tokens_reserved = " + reserved) == 1, what);
        } catch (AssertionError e) {
            throw new AssertionError(what + ": expected used=" + used + " reserved=" + reserved + ", stored " + sessionRow(session), e);
        }
    }

    private static List<Sse.Event> stream(String taskId) {
        return Sse.readAll(baseUrl() + "/v1/tasks/" + taskId + "/stream", tenantToken(TENANT));
    }

    @Test
    @DisplayName("SES-4 budgets are returned in X-Budget-* headers and metrics events; a stream that would cross the token budget ends there")
    void tokenBudgetAcrossTasks() {
        String session = UUID.randomUUID().toString();
        Map<String, Object> first = turn("dev-tiny", session, 16, Map.of("tokens", 20, "time_ms", 600000, "cost", 5.0));
        post(first).statusCode(202)
                .header("X-Budget-Tokens-Remaining", "20")
                .header("X-Budget-Time-Remaining-Ms", "600000")
                .header("X-Budget-Cost-Remaining", "5.0");
        List<Sse.Event> firstEvents = stream((String) first.get("task_id"));
        assertThat(firstEvents.get(firstEvents.size() - 1).name()).isEqualTo("end");
        assertThat(firstEvents.stream().filter(e -> e.name().equals("metrics")).findFirst().orElseThrow().data())
                .contains("\"tokens_budget_remaining\":20");
        Await.until(Duration.ofSeconds(10),
                () -> Integer.valueOf(4).equals(as(TENANT).get("/v1/sessions/" + session).then().extract().path("tokens_budget_remaining")),
                "the session's usage holds the first task's 16 tokens");

        // The second turn may take 4 more tokens: its stream ends after token i=3 with a typed error event.
        Map<String, Object> second = turn("dev-tiny", session, 16, null);
        post(second).statusCode(202).header("X-Budget-Tokens-Remaining", "4");
        List<Sse.Event> events = stream((String) second.get("task_id"));
        assertThat(events.stream().filter(e -> e.name().equals("token"))).hasSize(4);
        Sse.Event last = events.get(events.size() - 1);
        assertThat(last.name()).isEqualTo("error");
        assertThat(last.data()).contains("\"code\":\"SESSION_BUDGET_EXHAUSTED\"");
        as(TENANT).get("/v1/tasks/" + second.get("task_id")).then().body("state", equalTo("failed"))
                .body("error.code", equalTo("SESSION_BUDGET_EXHAUSTED"));

        // Used up: the next task is refused at admission, and nothing is stored for it.
        Await.until(Duration.ofSeconds(10),
                () -> Integer.valueOf(0).equals(as(TENANT).get("/v1/sessions/" + session).then().extract().path("tokens_budget_remaining")),
                "the session's token budget is used up");
        Map<String, Object> third = turn("dev-tiny", session, 16, null);
        post(third).statusCode(409).body("code", equalTo("SESSION_BUDGET_EXHAUSTED")).body("stage", equalTo("quota"))
                .body("retriable", equalTo(false));
        assertThat(countRows("tasks where id = '" + third.get("task_id") + "'")).isZero();
        as(TENANT).get("/v1/sessions/" + session).then().body("turns", equalTo(2));
    }

    @Test
    @DisplayName("SES-4 a running stream that crosses its session budget ends at that token and its engine request is aborted")
    void budgetAbortsTheEngineRequest() {
        long abortedBefore = SluiceStack.simStats("s0").path("aborted").asLong();
        String session = UUID.randomUUID().toString();
        Map<String, Object> body = turn("slow-tiny", session, 400, Map.of("tokens", 5));
        post(body).statusCode(202).header("X-Budget-Tokens-Remaining", "5");
        List<Sse.Event> events = stream((String) body.get("task_id"));
        List<Sse.Event> tokens = events.stream().filter(e -> e.name().equals("token")).toList();
        assertThat(tokens).hasSize(5);
        assertThat(tokens.get(4).data()).contains("\"i\":4");
        assertThat(events.get(events.size() - 1).data()).contains("SESSION_BUDGET_EXHAUSTED");
        assertThat(events.stream().filter(Sse.Event::terminal)).hasSize(1);
        Await.until(Duration.ofSeconds(10), () -> SluiceStack.simStats("s0").path("active").asInt() == 0
                && SluiceStack.simStats("s0").path("aborted").asLong() > abortedBefore, "s0 aborted the generation and freed its slot");
    }

    @Test
    @DisplayName("SES-4 concurrent streams of one session together never stream more tokens than its token budget; each stopped one ends with SESSION_BUDGET_EXHAUSTED")
    void tokenBudgetHoldsUnderConcurrency() {
        String session = UUID.randomUUID().toString();
        // Four tasks of ~5 s each (2,000 tokens at 400 tokens/s) run at once on dev-tiny's 12 slots; together they want
        // 8,000 tokens of a 2,500-token budget.
        List<Map<String, Object>> bodies = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            bodies.add(turn("dev-tiny", session, 2000, i == 0 ? Map.of("tokens", 2500) : null));
        }
        List<String> remainingHeaders = new java.util.ArrayList<>();
        for (Map<String, Object> b : bodies) {
            var answer = as(TENANT).contentType(ContentType.JSON).body(b).post("/v1/tasks");
            assertThat(answer.statusCode()).as("admission of a task of the session: %s", answer.body().asString()).isEqualTo(202);
            remainingHeaders.add(answer.header("X-Budget-Tokens-Remaining"));
        }
        // Each admission saw what the earlier ones had not reserved.
        assertThat(remainingHeaders).containsExactly("2500", "500", "0", "0");
        int streamed = 0;
        int stopped = 0;
        for (Map<String, Object> b : bodies) {
            List<Sse.Event> events = stream((String) b.get("task_id"));
            streamed += (int) events.stream().filter(e -> e.name().equals("token")).count();
            Sse.Event last = events.get(events.size() - 1);
            assertThat(events.stream().filter(Sse.Event::terminal)).hasSize(1);
            if (!last.name().equals("end")) {
                stopped++;
                assertThat(last.name()).isEqualTo("error");
                assertThat(last.data()).contains("\"code\":\"SESSION_BUDGET_EXHAUSTED\"");
            }
        }
        assertThat(streamed).as("tokens the session's streams delivered together").isEqualTo(2500);
        assertThat(stopped).isEqualTo(3);
        // Every reservation was settled by its task's end: the usage is what was streamed, nothing stays reserved.
        awaitSession(session, 2500, 0, "the session's reservations are settled into its usage");
        as(TENANT).get("/v1/sessions/" + session).then().body("tokens_budget_remaining", equalTo(0));
    }

    @Test
    @DisplayName("SES-4 REL-5 a token reservation another instance holds on the session row bounds this instance's task; its end gives back only its own")
    void tokenReservationOfAnotherInstance() {
        String session = UUID.randomUUID().toString();
        Map<String, Object> first = turn("dev-tiny", session, 16, Map.of("tokens", 100));
        post(first).statusCode(202).header("X-Budget-Tokens-Remaining", "100");
        assertThat(stream((String) first.get("task_id"))).last().extracting(Sse.Event::name).isEqualTo("end");
        awaitSession(session, 16, 0, "the first task is settled");
        // What another instance's admission of a running task of this session wrote: 80 of the 84 tokens left reserved.
        sql("update sessions set tokens_reserved = 80 where id = '" + session + "'");
        Map<String, Object> second = turn("dev-tiny", session, 16, null);
        post(second).statusCode(202).header("X-Budget-Tokens-Remaining", "4");
        List<Sse.Event> events = stream((String) second.get("task_id"));
        assertThat(events.stream().filter(e -> e.name().equals("token"))).hasSize(4);
        assertThat(events.get(events.size() - 1).data()).contains("\"code\":\"SESSION_BUDGET_EXHAUSTED\"");
        awaitSession(session, 20, 80, "the second task's end settled its own reservation and left the other instance's");
    }

    @Test
    @DisplayName("SES-4 a cost budget is enforced during the stream and reported in metrics")
    void costBudget() {
        String session = UUID.randomUUID().toString();
        // 2 units per 1,000 generated tokens plus 1 per 1,000 prompt tokens (13 bytes, estimated as 4 tokens): 0.021
        // pays the prompt (0.004) and 8 tokens (0.016); the ninth would cross it.
        Map<String, Object> body = turn("dev-tiny", session, 64, Map.of("cost", 0.021));
        post(body).statusCode(202).header("X-Budget-Cost-Remaining", "0.021");
        List<Sse.Event> events = stream((String) body.get("task_id"));
        assertThat(events.stream().filter(e -> e.name().equals("token"))).hasSize(8);
        assertThat(events.stream().filter(e -> e.name().equals("metrics")).findFirst().orElseThrow().data()).contains("cost_budget_remaining");
        assertThat(events.get(events.size() - 1).data()).contains("SESSION_BUDGET_EXHAUSTED").contains("cost");
    }

    @Test
    @DisplayName("SES-4 absurd or empty session budgets answer 400 INVALID_PARAMS naming the field; nothing is stored")
    void absurdBudgets() {
        List<Map<String, Object>> bad = List.of(Map.of("tokens", 0), Map.of("tokens", 10_000_000_000_000L), Map.of("time_ms", -5),
                Map.of("cost", -1.0), Map.of("cost", 0.0), Map.of());
        List<String> fields = List.of("session_budget.tokens", "session_budget.tokens", "session_budget.time_ms", "session_budget.cost",
                "session_budget.cost", "session_budget");
        for (int i = 0; i < bad.size(); i++) {
            String session = UUID.randomUUID().toString();
            Map<String, Object> body = turn("dev-tiny", session, 16, new HashMap<>(bad.get(i)));
            RestAssured.given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT))
                    .contentType(ContentType.JSON).body(body).post("/v1/tasks").then().statusCode(400)
                    .body("code", equalTo("INVALID_PARAMS")).body("field", equalTo(fields.get(i)));
            assertThat(countRows("sessions where id = '" + session + "'")).isZero();
        }
        Map<String, Object> unknown = turn("dev-tiny", UUID.randomUUID().toString(), 16, Map.of("tokens", 5, "dollars", 3));
        RestAssured.given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT))
                .contentType(ContentType.JSON).body(unknown).post("/v1/tasks").then().statusCode(400).body("code", equalTo("INVALID_PARAMS"));
    }
}
