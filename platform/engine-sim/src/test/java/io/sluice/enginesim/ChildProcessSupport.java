package io.sluice.enginesim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the simulator as a real child process and checks the ready lines, the ports file and shutdown. */
final class ChildProcessSupport {

    private ChildProcessSupport() {}

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static List<String> readyLines(Path stdout) {
        try {
            if (!Files.exists(stdout)) {
                return List.of();
            }
            return Files.readAllLines(stdout, StandardCharsets.UTF_8).stream()
                    .filter(l -> l.startsWith(EngineSimMain.READY_PREFIX))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts the command with two instances, waits for their ready lines, checks the ports file and that
     * each instance answers its health endpoint, then sends SIGTERM and checks a clean stop.
     */
    static void runAndCheck(List<String> command, Path dir) throws Exception {
        Path portsFile = dir.resolve("sub/ports.json");
        Path stdout = dir.resolve("stdout.txt");
        List<String> full = new ArrayList<>(command);
        full.addAll(List.of(
                "--instance", "engine=llamacpp,port=0,model=dev-tiny,slots=2,tokens_per_s=0",
                "--instance", "engine=triton,port=0,model=llm,engine_version=2.52.0",
                "--ports-file", portsFile.toString()));
        // stdout goes to a file: reading a child's pipe while it exits races inside the JDK.
        Process p = new ProcessBuilder(full)
                .redirectOutput(stdout.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            SimHttp.await("two ready lines", () -> readyLines(stdout).size() == 2 || !p.isAlive());
            List<String> ready = readyLines(stdout);
            assertThat(ready).hasSize(2);
            assertThat(ready.get(0)).matches("engine-sim ready engine=llamacpp model=dev-tiny port=\\d+ "
                    + "url=http://127\\.0\\.0\\.1:\\d+ engine_version=b4242 digest=[0-9a-f]{64}");
            assertThat(ready.get(1)).contains("engine=triton model=llm").contains("engine_version=2.52.0");

            // The ports file is complete before the ready lines are printed.
            JsonNode ports = SimHttp.json(Files.readString(portsFile));
            assertThat(ports).hasSize(2);
            assertThat(ports.get(0).get("engine").asText()).isEqualTo("llamacpp");
            assertThat(ports.get(1).get("engine").asText()).isEqualTo("triton");
            assertThat(ports.get(1).get("digest").asText()).isEqualTo(InstanceSpec.sha256Hex("llm"));
            for (JsonNode entry : ports) {
                assertThat(ready).anyMatch(l -> l.contains(" port=" + entry.get("port").asInt() + " "));
            }
            String llamaUrl = ports.get(0).get("url").asText();
            String tritonUrl = ports.get(1).get("url").asText();
            assertThat(SimHttp.send(HttpRequest.newBuilder(URI.create(llamaUrl + "/health"))).statusCode())
                    .isEqualTo(200);
            assertThat(SimHttp.send(HttpRequest.newBuilder(URI.create(tritonUrl + "/v2/health/ready")))
                            .statusCode())
                    .isEqualTo(200);

            p.destroy(); // SIGTERM
            assertThat(p.waitFor(15, TimeUnit.SECONDS)).as("process stops on SIGTERM").isTrue();
            assertThat(Files.readString(stdout)).contains("engine-sim stopped");
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
