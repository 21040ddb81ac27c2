package io.sluice.app.dev;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.Contract;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's walk-through, run as a newcomer runs it: {@code bin/sluice start-dev} in one process, the README's own
 * bash blocks (read from README.md, not copied here) in another, against it. Only the base URL is changed, to a free
 * port. Each step's output is then checked for what the README says it shows, and every JSON body and SSE event
 * against the contract. A README edit that breaks a command, or a product change that breaks what the README
 * promises, fails this test.
 */
class ReadmeWalkthroughIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String README_URL = "http://localhost:8080";
    private static final Pattern BASH_BLOCK = Pattern.compile("```bash\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern STEP_COMMENT = Pattern.compile("^# (\\d+)\\. ");
    /** The first start builds nothing here (the build made the jars) but migrates a fresh database. */
    private static final Duration READY = Duration.ofSeconds(180);
    private static final Duration SCRIPT = Duration.ofSeconds(180);

    @Test
    @DisplayName("the README's curl walk-through runs as written on bin/sluice start-dev: a task streams over two engine protocols, "
            + "another tenant gets 404, a shipped policy denies, the OpenAI facade answers")
    void walkthroughRunsAsWritten(@TempDir Path home) throws Exception {
        Path root = Path.of(System.getProperty("test.repo.root")).toAbsolutePath().normalize();
        String readme = Files.readString(root.resolve("README.md"));
        List<String> blocks = walkthroughBlocks(readme);
        assertThat(blocks).as("bash blocks from '## The first five minutes' up to '## More'").hasSize(4);

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String base = "http://localhost:" + port;
        ProcessBuilder startDev = new ProcessBuilder(root.resolve("bin/sluice").toString(), "start-dev").directory(root.toFile())
                .redirectErrorStream(true).redirectOutput(home.resolve("start-dev.log").toFile());
        startDev.environment().put("SLUICE_HOME", home.toString());
        startDev.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        Process dev = startDev.start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            Await.until(READY, () -> !dev.isAlive() || ready(http, base), "bin/sluice start-dev is ready at " + base);
            assertThat(dev.isAlive()).as("start-dev runs; its log: %s", tail(home.resolve("start-dev.log"))).isTrue();

            Map<String, String> out = run(root, home, script(blocks, base));

            // 2. submit: 202 with the task's id and queue position
            JsonNode accepted = single(out.get("1.2"), "TaskAccepted");
            String task = accepted.path("task_id").asText();
            assertThat(task).isNotEmpty();

            // 3. the stream: started, metrics (running) before the first token, tokens 0, 1, 2 ... without gaps, end
            List<String[]> stream = events(out.get("1.3"));
            assertStreamAsDescribed(stream);

            // 4. its status, then another tenant's view of it
            List<JsonNode> step4 = values(out.get("1.4"));
            assertThat(step4).hasSize(2);
            assertThat(Contract.violations("TaskStatus", step4.get(0).toString())).isEmpty();
            assertThat(step4.get(0).path("task_id").asText()).isEqualTo(task);
            assertThat(step4.get(0).path("state").asText()).isEqualTo("succeeded");
            assertThat(Contract.violations("Error", step4.get(1).toString())).isEmpty();
            assertThat(step4.get(1).path("code").asText()).as("another tenant's view").isEqualTo("NOT_FOUND");

            // 5. the same over the vLLM protocol
            // curl -s ends the 202 body without a newline, so the stream's first line follows it directly
            String step5 = out.get("1.5");
            int streamStart = endOfFirstJson(step5);
            single(step5.substring(0, streamStart), "TaskAccepted");
            List<String[]> vllm = events(step5.substring(streamStart));
            assertStreamAsDescribed(vllm);
            assertThat(vllm).as("an event of the second stream names the vLLM engine")
                    .anyMatch(e -> readTree(e[1]).path("engine").asText().equals("vllm"));

            // the policy: upload, bind, then a task for another model is denied at the policy stage
            List<JsonNode> policy = values(out.get("2"));
            assertThat(policy).hasSize(2);
            assertThat(Contract.violations("PolicyVersion", policy.get(0).toString())).isEmpty();
            assertThat(policy.get(0).path("version").asText()).isEqualTo("1.0.0");
            assertThat(Contract.violations("PolicyBinding", policy.get(1).toString())).isEmpty();
            JsonNode denied = single(out.get("3"), "Error");
            assertThat(denied.path("code").asText()).isEqualTo("POLICY_DENIED");
            assertThat(denied.path("stage").asText()).isEqualTo("policy");

            // the OpenAI facade
            JsonNode chat = single(out.get("4"), "OpenAiChatCompletion");
            assertThat(chat.path("choices").path(0).path("message").path("content").asText()).isNotEmpty();
            assertThat(chat.path("usage").path("completion_tokens").asInt()).isPositive();
        } finally {
            dev.descendants().forEach(ProcessHandle::destroy);
            dev.destroy();
            if (!dev.waitFor(60, TimeUnit.SECONDS)) {
                dev.descendants().forEach(ProcessHandle::destroyForcibly);
                dev.destroyForcibly();
            }
        }
    }

    /** The bash blocks of the walk-through sections, in order. */
    static List<String> walkthroughBlocks(String readme) {
        int from = readme.indexOf("## The first five minutes");
        int to = readme.indexOf("\n## More");
        assertThat(from).as("README section 'The first five minutes'").isNotNegative();
        assertThat(to).as("README section 'More'").isGreaterThan(from);
        List<String> blocks = new ArrayList<>();
        Matcher m = BASH_BLOCK.matcher(readme.substring(from, to));
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    /**
     * One script of all blocks, each command as written but for the base URL. A marker line before each block, and
     * before each numbered step of the first, splits the output by step.
     */
    static String script(List<String> blocks, String base) {
        StringBuilder sb = new StringBuilder("set -euo pipefail\n");
        for (int b = 0; b < blocks.size(); b++) {
            sb.append("echo; echo '@@").append(b + 1).append("'\n");
            for (String line : blocks.get(b).split("\n", -1)) {
                Matcher step = STEP_COMMENT.matcher(line);
                if (step.find()) {
                    sb.append("echo; echo '@@").append(b + 1).append('.').append(step.group(1)).append("'\n");
                }
                sb.append(line.replace(README_URL, base)).append('\n');
            }
        }
        return sb.toString();
    }

    private static Map<String, String> run(Path root, Path home, String script) throws Exception {
        Path file = home.resolve("walkthrough.sh");
        Files.writeString(file, script);
        Path output = home.resolve("walkthrough.out");
        ProcessBuilder pb = new ProcessBuilder("bash", file.toString()).directory(root.toFile())
                .redirectOutput(output.toFile()).redirectError(home.resolve("walkthrough.err").toFile());
        pb.environment().put("SLUICE_HOME", home.toString());
        Process p = pb.start();
        if (!p.waitFor(SCRIPT.toSeconds(), TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("the walk-through did not finish within " + SCRIPT + "; output so far: " + tail(output));
        }
        assertThat(p.exitValue()).as("the walk-through's exit code; stderr: %s", tail(home.resolve("walkthrough.err"))).isZero();
        Map<String, String> sections = new LinkedHashMap<>();
        String key = null;
        StringBuilder text = new StringBuilder();
        for (String line : Files.readAllLines(output, StandardCharsets.UTF_8)) {
            if (line.startsWith("@@")) {
                if (key != null) {
                    sections.put(key, text.toString());
                }
                key = line.substring(2);
                text.setLength(0);
            } else {
                text.append(line).append('\n');
            }
        }
        if (key != null) {
            sections.put(key, text.toString());
        }
        return sections;
    }

    private static void assertStreamAsDescribed(List<String[]> events) {
        assertThat(events).isNotEmpty();
        for (String[] e : events) {
            assertThat(Contract.sseViolations(e[0], e[1])).as("event %s %s", e[0], e[1]).isEmpty();
        }
        List<String> names = events.stream().map(e -> e[0]).toList();
        assertThat(names.get(0)).isEqualTo("started");
        assertThat(names.get(names.size() - 1)).isEqualTo("end");
        int firstToken = names.indexOf("token");
        assertThat(firstToken).as("a token event").isPositive();
        assertThat(names.subList(0, firstToken)).as("a metrics event before the first token").contains("metrics");
        int expected = 0;
        for (String[] e : events) {
            if (e[0].equals("token")) {
                assertThat(readTree(e[1]).path("i").asInt()).isEqualTo(expected++);
            }
        }
    }

    /** The SSE events in curl's output: {name, data}; comments and ids skipped. */
    private static List<String[]> events(String text) {
        List<String[]> events = new ArrayList<>();
        String name = null;
        StringBuilder data = new StringBuilder();
        for (String line : (text + "\n").split("\n", -1)) {
            if (line.isEmpty()) {
                if (name != null && data.length() > 0) {
                    events.add(new String[] {name, data.toString()});
                }
                name = null;
                data.setLength(0);
            } else if (line.startsWith("event:")) {
                name = line.substring(6).strip();
            } else if (line.startsWith("data:")) {
                data.append(line.substring(5).strip());
            }
        }
        return events;
    }

    /** The JSON values curl printed back to back (curl -s adds no separator). */
    private static List<JsonNode> values(String text) throws IOException {
        List<JsonNode> values = new ArrayList<>();
        try (MappingIterator<JsonNode> it = JSON.readerFor(JsonNode.class).readValues(text)) {
            while (it.hasNextValue()) {
                values.add(it.nextValue());
            }
        }
        return values;
    }

    /** Where the first JSON value in {@code text} ends. */
    private static int endOfFirstJson(String text) throws IOException {
        try (com.fasterxml.jackson.core.JsonParser parser = JSON.getFactory().createParser(text)) {
            JSON.readTree(parser);
            return (int) parser.currentLocation().getCharOffset();
        }
    }

    private static JsonNode single(String text, String schema) throws IOException {
        List<JsonNode> values = values(text);
        assertThat(values).as("one JSON body in: %s", text).hasSize(1);
        assertThat(Contract.violations(schema, values.get(0).toString())).as("%s against the contract", schema).isEmpty();
        return values.get(0);
    }

    private static JsonNode readTree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    private static boolean ready(HttpClient http, String base) {
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(base + "/q/health/ready")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String tail(Path file) {
        try {
            String s = Files.readString(file);
            return s.substring(Math.max(0, s.length() - 2000));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
