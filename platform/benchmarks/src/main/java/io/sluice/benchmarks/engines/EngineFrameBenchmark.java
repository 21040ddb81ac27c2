package io.sluice.benchmarks.engines;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.engines.LlamaCppPartialFrame;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Reading the text of one partial llama.cpp stream frame, once per streamed token: the tree read the adapter used for
 * every frame against the streaming read it now uses for partial frames ({@link LlamaCppPartialFrame}). The frame is
 * what llama-server sends for a token (its members as of the b5xxx builds, docs/engine-protocols.md).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(2)
public class EngineFrameBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String frame = "{\"index\":0,\"content\":\" quick\",\"tokens\":[4062],\"stop\":false,\"id_slot\":3,"
            + "\"tokens_predicted\":7,\"tokens_evaluated\":12}";

    @Benchmark
    public String treeRead() throws Exception {
        return JSON.readTree(frame).path("content").asText("");
    }

    @Benchmark
    public String streamingRead() {
        return LlamaCppPartialFrame.content(frame);
    }
}
