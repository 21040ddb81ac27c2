package io.sluice.engines;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineException;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.task.EngineKind;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adapters against the simulator as a separate process, the way a real engine runs: when that process is
 * killed mid-stream, every open generation ends exactly once with WORKER_RESET.
 */
@DisplayName("POOL-4 REL-1 engine process killed mid-stream")
class EngineSimProcessTest {

    @Test
    @DisplayName("killing the engine process ends each protocol's open stream with exactly one WORKER_RESET")
    void killedEngineIsOneWorkerReset(@TempDir Path dir) throws Exception {
        Path ports = dir.resolve("ports.json");
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.sluice.enginesim.EngineSimMain"));
        for (EngineKind kind : EngineKind.values()) {
            cmd.addAll(List.of("--instance", "engine=" + kind.wire() + ",port=0,tokens_per_s=40"));
        }
        cmd.addAll(List.of("--ports-file", ports.toString()));
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(dir.resolve("stdout.txt").toFile())
                .redirectError(dir.resolve("stderr.txt").toFile())
                .start();
        try {
            SimSupport.await("the simulator process writes its ports file", () -> readPorts(ports).size() == EngineKind.values().length
                    || !p.isAlive());
            assertThat(p.isAlive()).as("simulator process running").isTrue();
            List<SimSupport.Recorder> recorders = new ArrayList<>();
            for (JsonNode entry : readPorts(ports)) {
                EngineKind kind = EngineKind.valueOf(entry.get("engine").asText().toUpperCase(java.util.Locale.ROOT));
                EngineAdapter adapter = EngineAdapters.create(kind, URI.create(entry.get("url").asText()),
                        entry.get("model").asText(), EngineOptions.DEFAULTS, SimSupport.VERTX);
                SimSupport.probe(adapter);
                SimSupport.Recorder r = new SimSupport.Recorder();
                adapter.generate(SimSupport.request("a long story", 3000, 2), r);
                recorders.add(r);
            }
            for (SimSupport.Recorder r : recorders) {
                SimSupport.await("tokens flow on every protocol", () -> !r.tokens.isEmpty() || r.end.isDone());
                assertThat(r.end).as("still streaming before the kill").isNotDone();
            }

            p.destroyForcibly();
            p.waitFor(SimSupport.WAIT.toMillis(), TimeUnit.MILLISECONDS);

            for (SimSupport.Recorder r : recorders) {
                EngineException e = r.error();
                assertThat(e.code()).isEqualTo(ErrorCode.WORKER_RESET);
                assertThat(r.terminals.get()).isEqualTo(1);
            }
        } finally {
            p.destroyForcibly();
        }
    }

    private static List<JsonNode> readPorts(Path file) {
        try {
            if (!Files.exists(file)) {
                return List.of();
            }
            JsonNode n = HttpEngineAdapter.JSON.readTree(Files.readString(file));
            List<JsonNode> out = new ArrayList<>();
            n.forEach(out::add);
            return out;
        } catch (Exception e) {
            return List.of(); // being written
        }
    }
}
