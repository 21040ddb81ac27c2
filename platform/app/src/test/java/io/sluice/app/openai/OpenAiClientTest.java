package io.sluice.app.openai;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.core.quota.QuotaBook;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI client library for Node ({@code openai} on npm, pinned in the root package.json) run against
 * this Sluice by {@code src/test/node/openai-client.mjs}: the script asserts, this test checks it passed and shows
 * its output. Tokens come from the real test issuer; the quota tenants are set up here through the admin API.
 */
@QuarkusTest
class OpenAiClientTest extends ApiTest {
    private static final Path SCRIPT = Path.of(System.getProperty("test.repo.root", "../.."), "platform", "app", "src", "test", "node",
            "openai-client.mjs");

    @Inject
    QuotaBook quotas;

    @Test
    @DisplayName("ADM-9 the official openai npm client works unchanged: chat and completions whole and streamed with usage, "
            + "temperature, top_p and the penalties forwarded (equal requests equal text, another temperature other text), the "
            + "models list, and its AuthenticationError, NotFoundError, BadRequestError and RateLimitError with retry-after honoured")
    void officialClientWorksUnchanged() throws Exception {
        Await.until(Duration.ofSeconds(30), () -> quotas.instances() == 1, "this is the only live instance (quotas are not split)");
        limit("ten-openai-node-limited", Map.of("rps", 1, "burst", 1),
                () -> Integer.valueOf(1).equals(quotas.limits("ten-openai-node-limited").rps()));
        // max_queued 0 refuses every request with a one-second retry hint (rps 0 would hint a minute).
        limit("ten-openai-node-zero", Map.of("max_queued", 0),
                () -> Integer.valueOf(0).equals(quotas.limits("ten-openai-node-zero").maxQueued()));

        ProcessBuilder pb = new ProcessBuilder(List.of("node", SCRIPT.toAbsolutePath().toString())).redirectErrorStream(true);
        pb.directory(SCRIPT.getParent().toFile());
        Map<String, String> env = pb.environment();
        env.put("SLUICE_OPENAI_BASE_URL", "http://127.0.0.1:" + io.restassured.RestAssured.port + "/v1");
        env.put("SLUICE_TOKEN", tenantToken("ten-openai-node"));
        env.put("SLUICE_LIMITED_TOKEN", tenantToken("ten-openai-node-limited"));
        env.put("SLUICE_ZERO_TOKEN", tenantToken("ten-openai-node-zero"));
        Path out = Files.createTempFile("openai-client-", ".log");
        pb.redirectOutput(out.toFile());
        Process node = pb.start();
        boolean ended = node.waitFor(180, TimeUnit.SECONDS);
        if (!ended) {
            node.destroyForcibly();
        }
        String log = Files.readString(out, StandardCharsets.UTF_8);
        System.out.println("--- openai-client.mjs ---\n" + log);
        assertThat(ended).as("the node script ended within 180 s:\n" + log).isTrue();
        assertThat(node.exitValue()).as("the node script's exit code:\n" + log).isZero();
        assertThat(log).contains("all openai client checks passed");
    }

    private void limit(String tenant, Map<String, Object> quota, java.util.function.BooleanSupplier inForce) {
        asAdmin().contentType(ContentType.JSON).body(Map.of()).put("/v1/tenants/" + tenant).then()
                .statusCode(org.hamcrest.Matchers.anyOf(org.hamcrest.Matchers.equalTo(200), org.hamcrest.Matchers.equalTo(201)));
        asAdmin().contentType(ContentType.JSON).body(quota).put("/v1/tenants/" + tenant + "/quotas").then().statusCode(200);
        Await.until(Duration.ofSeconds(5), inForce, "the quota of " + tenant + " is in force");
    }
}
