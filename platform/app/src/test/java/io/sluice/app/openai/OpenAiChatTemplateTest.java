package io.sluice.app.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sluice.app.catalog.CatalogKeys;
import io.sluice.app.catalog.TestSigner;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.SluiceStack;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The facade renders chat messages with the model's own chat template (ADM-9, ADR 0037), shown at the engine: the
 * official {@code openai} npm client ({@code src/test/node/openai-chat-template.mjs}) sends chat requests for
 * {@code tmpl-tiny} (its llama.cpp engine reports a ChatML template in {@code /props}), for the catalog entry
 * {@code tmpl-tiny:v1} (its manifest declares a Llama-3-style template, which wins over the engine's) and for
 * {@code dev-tiny} (no template anywhere: Sluice's fixed format); this test then reads the prompts the simulator
 * received ({@code GET /sim/prompts}) and compares them byte for byte.
 */
@QuarkusTest
@QuarkusTestResource(CatalogKeys.class)
class OpenAiChatTemplateTest extends ApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SCRIPT = Path.of(System.getProperty("test.repo.root", "../.."), "platform", "app", "src", "test", "node",
            "openai-chat-template.mjs");
    private static final String TENANT = "ten-openai-template";

    /** Llama 3 shape, on one line as models ship it, refusing a conversation the assistant starts. */
    static final String LLAMA3_STYLE = "{% if messages[0]['role'] == 'assistant' %}"
            + "{{ raise_exception('the conversation must not start with the assistant') }}{% endif %}"
            + "{{ bos_token }}{% for message in messages %}"
            + "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + (message['content'] | trim) + '<|eot_id|>' }}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    @Test
    @DisplayName("ADM-9 chat completions through the official openai client use the model's own chat template: the catalog's over "
            + "the engine's, the engine's (llama.cpp /props) when the catalog declares none, Sluice's fixed format when neither "
            + "does; the engine receives exactly that prompt, streamed or not; GET /v1/models names each source; a template's "
            + "raise_exception is a BadRequestError on messages")
    void modelsOwnTemplateReachesTheEngine() throws Exception {
        Await.until(Duration.ofSeconds(30), () -> "ready".equals(asAdmin().get("/v1/pools/pool-g").then().extract().path("state")),
                "pool-g (tmpl-tiny) is ready");
        // The entry is the artifact pool-g's engine serves (the simulator's digest of a model is the sha256 of its name), so
        // the catalog's check of the pool's load (CAT-3) keeps it serving.
        String id = ingest("tmpl-tiny", "v1", "sha256:" + sha256Hex("tmpl-tiny"), Map.of("chat_template", LLAMA3_STYLE, "bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"))
                .then().statusCode(201).extract().path("id");
        asAdmin().contentType(ContentType.JSON).body(Map.of("state", "Active", "reason", "test")).post("/v1/catalog/models/" + id + "/state")
                .then().statusCode(200);
        // The entry declares its template in the manifest, as ingested.
        asAdmin().get("/v1/catalog/models/" + id).then().statusCode(200).body("manifest.chat_template", equalTo(LLAMA3_STYLE));

        // Through the contract validator as well: chat_template_source is part of OpenAiModel.
        as(TENANT).get("/v1/models").then().statusCode(200)
                .body("data.find { it.id == 'tmpl-tiny' }.chat_template_source", equalTo("engine"))
                .body("data.find { it.id == 'tmpl-tiny:v1' }.chat_template_source", equalTo("catalog"))
                .body("data.find { it.id == 'dev-tiny' }.chat_template_source", equalTo("sluice"));

        String nonce = "n" + Long.toHexString(System.nanoTime());
        String log = runScript(nonce);
        assertThat(log).contains("all chat template checks passed");

        String system = "Answer in one word (%s " + nonce + ").";
        String chatml = "<|im_start|>system\n" + system.formatted("tmpl-tiny") + "<|im_end|>\n<|im_start|>user\n  Which river? " + nonce
                + "  <|im_end|>\n<|im_start|>assistant\n";
        String llama3 = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" + system.formatted("tmpl-tiny:v1") + "<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhich river? " + nonce + "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
        String fixed = "<|system|>\n" + system.formatted("dev-tiny") + "\n<|user|>\n  Which river? " + nonce + "  \n<|assistant|>\n";

        List<String> atTmplEngine = prompts(List.of("g0"), nonce);
        // Whole and streamed requests for tmpl-tiny (ChatML), one for tmpl-tiny:v1 (the catalog's template, same engine);
        // the refused request never reached it.
        assertThat(atTmplEngine).containsExactly(chatml, llama3, chatml, chatml);
        assertThat(prompts(List.of("a0", "a1", "b0"), nonce)).containsExactly(fixed);
    }

    @Test
    @DisplayName("ADM-9 a catalog entry declaring a chat template that cannot be used is refused at ingest with 400 naming "
            + "manifest.chat_template, and nothing is stored")
    void unusableTemplateRefusedAtIngest() throws Exception {
        String tag = "bad-" + Long.toHexString(System.nanoTime());
        for (Map<String, Object> manifest : List.of(
                Map.<String, Object>of("chat_template", "{% for message in messages %}{{ message['content'] }}"),
                Map.<String, Object>of("chat_template", "{{ strftime_now('%d') }}"),
                Map.<String, Object>of("chat_template", 42),
                Map.<String, Object>of("chat_template", "{{ messages }}", "bos_token", "x".repeat(257)))) {
            String field = manifest.containsKey("bos_token") ? "manifest.bos_token" : "manifest.chat_template";
            ingest("tmpl-bad", tag, "sha256:" + sha256Hex(tag), manifest).then().statusCode(400)
                    .body("code", equalTo("INVALID_PARAMS")).body("field", equalTo(field)).body("message", containsString(field));
        }
        assertThat(countRows("catalog_models where name = 'tmpl-bad'")).isZero();
    }

    private static String sha256Hex(String text) throws java.security.NoSuchAlgorithmException {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static io.restassured.response.Response ingest(String name, String tag, String digest, Map<String, Object> extra) {
        return asAdmin().contentType(ContentType.JSON).body(TestSigner.signedModel(name, tag, digest, extra)).post("/v1/catalog/models");
    }

    private String runScript(String nonce) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(List.of("node", SCRIPT.toAbsolutePath().toString())).redirectErrorStream(true);
        pb.directory(SCRIPT.getParent().toFile());
        Map<String, String> env = pb.environment();
        env.put("SLUICE_OPENAI_BASE_URL", "http://127.0.0.1:" + io.restassured.RestAssured.port + "/v1");
        env.put("SLUICE_TOKEN", tenantToken(TENANT));
        env.put("SLUICE_NONCE", nonce);
        Path out = Files.createTempFile("openai-chat-template-", ".log");
        pb.redirectOutput(out.toFile());
        Process node = pb.start();
        boolean ended = node.waitFor(120, TimeUnit.SECONDS);
        if (!ended) {
            node.destroyForcibly();
        }
        String log = Files.readString(out, StandardCharsets.UTF_8);
        System.out.println("--- openai-chat-template.mjs ---\n" + log);
        assertThat(ended).as("the node script ended within 120 s:\n" + log).isTrue();
        assertThat(node.exitValue()).as("the node script's exit code:\n" + log).isZero();
        return log;
    }

    /** The prompts containing {@code nonce} that the given simulator instances received, in order per instance. */
    private static List<String> prompts(List<String> instances, String nonce) throws Exception {
        List<String> found = new ArrayList<>();
        HttpClient http = HttpClient.newHttpClient();
        {
            for (String instance : instances) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(SluiceStack.engine(instance) + "/sim/prompts")).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                for (JsonNode p : JSON.readTree(r.body()).path("prompts")) {
                    if (p.asText().contains(nonce)) {
                        found.add(p.asText());
                    }
                }
            }
        }
        return found;
    }
}
