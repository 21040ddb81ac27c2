package io.sluice.app.openai;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Contract;
import io.sluice.core.quota.QuotaBook;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI-compatible operations through HTTP, every request and answer validated against the contract (streamed
 * data lines against their chunk schemas). That official client libraries work unchanged is {@link OpenAiClientTest}.
 */
@QuarkusTest
class OpenAiApiTest extends ApiTest {
    private static final String TENANT = "ten-openai";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    QuotaBook quotas;

    private static Map<String, Object> chat(String model, String content, int maxTokens) {
        Map<String, Object> b = new HashMap<>();
        b.put("model", model);
        b.put("messages", List.of(Map.of("role", "system", "content", "Be brief."), Map.of("role", "user", "content", content)));
        b.put("max_tokens", maxTokens);
        b.put("seed", 7);
        return b;
    }

    /** The simulator's prompt count: one token per started 4 UTF-8 bytes (what the engine reports as evaluated). */
    private static long simulatorPromptTokens(String prompt) {
        return Math.max(1, (prompt.getBytes(StandardCharsets.UTF_8).length + 3) / 4);
    }

    @Test
    @DisplayName("ADM-9 a chat completion is a task: the answer carries the engine's text, finish_reason and real usage, and the task "
            + "behind it succeeded with the same token count")
    void chatCompletionIsATaskWithRealUsage() {
        Response r = as(TENANT).contentType(ContentType.JSON).body(chat("dev-tiny", "What is a sluice?", 8)).post("/v1/chat/completions");
        r.then().statusCode(200)
                .body("object", equalTo("chat.completion"))
                .body("model", equalTo("dev-tiny"))
                .body("choices[0].message.role", equalTo("assistant"))
                .body("choices[0].message.content", not(equalTo("")))
                .body("choices[0].finish_reason", equalTo("length"))
                .body("usage.completion_tokens", equalTo(8));
        String rendered = "<|system|>\nBe brief.\n<|user|>\nWhat is a sluice?\n<|assistant|>\n";
        long prompt = simulatorPromptTokens(rendered);
        assertThat(r.jsonPath().getLong("usage.prompt_tokens")).isEqualTo(prompt);
        assertThat(r.jsonPath().getLong("usage.total_tokens")).isEqualTo(prompt + 8);
        String taskId = r.header(OpenAiRoute.TASK_HEADER);
        assertThat(r.jsonPath().getString("id")).isEqualTo("chatcmpl-" + taskId);
        as(TENANT).get("/v1/tasks/" + taskId).then().statusCode(200)
                .body("state", equalTo("succeeded"))
                .body("model_ref", equalTo("dev-tiny"))
                .body("tokens_out", equalTo(8));
    }

    @Test
    @DisplayName("ADM-9 a streamed chat completion sends contract-valid chunks with the same text as the whole answer, a usage chunk "
            + "when asked, and ends with data: [DONE]")
    void streamedChatMatchesTheWholeAnswer() throws Exception {
        String whole = as(TENANT).contentType(ContentType.JSON).body(chat("dev-tiny", "Name three rivers.", 12))
                .post("/v1/chat/completions").then().statusCode(200).extract().path("choices[0].message.content");
        Map<String, Object> body = chat("dev-tiny", "Name three rivers.", 12);
        body.put("stream", true);
        body.put("stream_options", Map.of("include_usage", true));
        Response r = as(TENANT).contentType(ContentType.JSON).body(body).post("/v1/chat/completions");
        r.then().statusCode(200).contentType(containsString("text/event-stream"));
        List<String> data = dataLines(r.asString());
        assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (int i = 0; i < data.size() - 1; i++) {
            assertThat(Contract.violations("OpenAiChatCompletionChunk", data.get(i))).as(data.get(i)).isEmpty();
            JsonNode chunk = JSON.readTree(data.get(i));
            if (i == 0) {
                assertThat(chunk.at("/choices/0/delta/role").asText()).isEqualTo("assistant");
            }
            if (chunk.path("choices").isEmpty()) {
                usage = chunk.path("usage");
                continue;
            }
            text.append(chunk.at("/choices/0/delta/content").asText(""));
            if (!chunk.at("/choices/0/finish_reason").isNull()) {
                finish = chunk.at("/choices/0/finish_reason").asText();
            }
        }
        assertThat(text.toString()).isEqualTo(whole);
        assertThat(finish).isEqualTo("length");
        assertThat(usage).isNotNull();
        assertThat(usage.path("completion_tokens").asLong()).isEqualTo(12);
        assertThat(usage.path("total_tokens").asLong()).isEqualTo(usage.path("prompt_tokens").asLong() + 12);
    }

    @Test
    @DisplayName("ADM-9 a completion ends before its stop sequence, with finish_reason stop, and its task is canceled rather than decoded on")
    void completionStopsAtTheStopSequence() {
        Map<String, Object> body = new HashMap<>(Map.of("model", "dev-tiny", "prompt", "The rivers are", "max_tokens", 120, "seed", 11));
        String full = as(TENANT).contentType(ContentType.JSON).body(body).post("/v1/completions").then().statusCode(200)
                .body("object", equalTo("text_completion")).extract().path("choices[0].text");
        assertThat(full.length()).isGreaterThan(6);
        // A stop sequence taken from the middle of the deterministic answer (same seed and prompt, same text).
        int at = full.length() / 4;
        String stop = full.substring(at, at + 3);
        int first = full.indexOf(stop);
        body.put("stop", List.of(stop));
        Response r = as(TENANT).contentType(ContentType.JSON).body(body).post("/v1/completions");
        r.then().statusCode(200)
                .body("choices[0].text", equalTo(full.substring(0, first)))
                .body("choices[0].finish_reason", equalTo("stop"));
        String taskId = r.header(OpenAiRoute.TASK_HEADER);
        Await.until(Duration.ofSeconds(10), () -> "canceled".equals(as(TENANT).get("/v1/tasks/" + taskId).path("state")),
                "the task behind a stopped answer is canceled");
    }

    @Test
    @DisplayName("ADM-9 the session header puts OpenAI requests into one Sluice session")
    void sessionHeaderNamesTheSession() {
        String session = UUID.randomUUID().toString();
        for (int i = 0; i < 2; i++) {
            as(TENANT).header(OpenAiRoute.SESSION_HEADER, session).contentType(ContentType.JSON).body(chat("dev-tiny", "Turn " + i, 4))
                    .post("/v1/chat/completions").then().statusCode(200);
        }
        as(TENANT).get("/v1/sessions/" + session).then().statusCode(200).body("turns", equalTo(2));
    }

    @Test
    @DisplayName("ADM-9 GET /v1/models lists the models pools serve")
    void modelsListsServedModels() {
        as(TENANT).get("/v1/models").then().statusCode(200)
                .body("object", equalTo("list"))
                .body("data.id", hasItems("dev-tiny", "slow-tiny", "fault-tiny"))
                .body("data[0].object", equalTo("model"))
                .body("data[0].owned_by", equalTo("sluice"));
    }

    @Test
    @DisplayName("ADM-9 errors keep OpenAI's shape: unknown model 404 model_not_found, n above 1 and unknown members 400 naming the "
            + "param, malformed JSON 400, no token 401")
    void errorsKeepOpenAiShape() {
        as(TENANT).contentType(ContentType.JSON).body(chat("no-such-model", "hi", 4)).post("/v1/chat/completions").then()
                .statusCode(404)
                .header("x-should-retry", "false")
                .body("error.type", equalTo("invalid_request_error"))
                .body("error.code", equalTo("model_not_found"))
                .body("error.param", equalTo("model"));
        Map<String, Object> two = chat("dev-tiny", "hi", 4);
        two.put("n", 2);
        given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT)).contentType(ContentType.JSON)
                .body(two).post("/v1/chat/completions").then()
                .statusCode(400).body("error.param", equalTo("n")).body("error.code", equalTo("invalid_params"));
        Map<String, Object> tools = chat("dev-tiny", "hi", 4);
        tools.put("tools", List.of());
        given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT)).contentType(ContentType.JSON)
                .body(tools).post("/v1/chat/completions").then()
                .statusCode(400).body("error.param", equalTo("tools")).body("error.message", containsString("tools"));
        given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT)).contentType(ContentType.JSON)
                .body("{\"model\": \"dev-tiny\", \"messages\": [").post("/v1/chat/completions").then()
                .statusCode(400).body("error.type", equalTo("invalid_request_error")).body("error.param", nullValue())
                .body("error.message", containsString("not valid JSON"));
        given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT)).contentType(ContentType.JSON)
                .body(Map.of("model", "dev-tiny")).post("/v1/chat/completions").then()
                .statusCode(400).body("error.param", equalTo("messages"));
        given().filter(Contract.NO_TOKEN).contentType(ContentType.JSON).body(chat("dev-tiny", "hi", 4)).post("/v1/chat/completions").then()
                .statusCode(401)
                .header("WWW-Authenticate", notNullValue())
                .body("error.type", equalTo("authentication_error"))
                .body("error.code", equalTo("invalid_api_key"));
        given().filter(Contract.NO_TOKEN).get("/v1/models").then().statusCode(401).body("error.code", equalTo("invalid_api_key"));
        given().filter(Contract.NO_TOKEN).header("Authorization", "Bearer not-a-token").contentType(ContentType.JSON)
                .body(chat("dev-tiny", "hi", 4)).post("/v1/chat/completions").then()
                .statusCode(401)
                .body("error.type", equalTo("authentication_error"))
                .body("error.code", equalTo("invalid_api_key"));
    }

    @Test
    @DisplayName("ADM-8 ADM-9 a model whose pool is down answers 503 in OpenAI's shape with the retry headers, also when streaming")
    void poolDownAnswers503() {
        Map<String, Object> body = chat("down-tiny", "hi", 4);
        body.put("stream", true);
        as(TENANT).contentType(ContentType.JSON).body(body).post("/v1/chat/completions").then()
                .statusCode(503)
                .header("Retry-After", notNullValue())
                .header("retry-after-ms", notNullValue())
                .header("x-should-retry", "true")
                .body("error.type", equalTo("server_error"))
                .body("error.code", equalTo("pool_unavailable"));
    }

    @Test
    @DisplayName("ADM-5 ADM-9 a tenant over its rps quota gets 429 rate_limit_error with Retry-After and retry-after-ms")
    void quotaAnswers429() {
        String tenant = "ten-openai-429";
        Await.until(Duration.ofSeconds(30), () -> quotas.instances() == 1, "this is the only live instance");
        asAdmin().contentType(ContentType.JSON).body(Map.of()).put("/v1/tenants/" + tenant).then().statusCode(org.hamcrest.Matchers.anyOf(
                equalTo(200), equalTo(201)));
        asAdmin().contentType(ContentType.JSON).body(Map.of("rps", 1, "burst", 1)).put("/v1/tenants/" + tenant + "/quotas").then()
                .statusCode(200);
        Await.until(Duration.ofSeconds(5), () -> Integer.valueOf(1).equals(quotas.limits(tenant).rps()), "the quota is in force");
        // The first request may still find the bucket full; the next one within the second cannot.
        Response refused = null;
        for (int i = 0; i < 3 && refused == null; i++) {
            Response r = as(tenant).contentType(ContentType.JSON).body(chat("dev-tiny", "hi", 2)).post("/v1/chat/completions");
            if (r.statusCode() == 429) {
                refused = r;
            }
        }
        assertThat(refused).as("a 429 within three immediate requests").isNotNull();
        refused.then()
                .header("Retry-After", notNullValue())
                .header("retry-after-ms", notNullValue())
                .header("x-should-retry", "true")
                .body("error.type", equalTo("rate_limit_error"))
                .body("error.code", equalTo("quota_exceeded"));
        assertThat(Long.parseLong(refused.header("retry-after-ms"))).isBetween(1L, 1_000L);
    }

    private static List<String> dataLines(String body) {
        List<String> out = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("data: ")) {
                out.add(line.substring("data: ".length()));
            }
        }
        return out;
    }
}
