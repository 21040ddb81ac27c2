package io.sluice.core.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.SluiceConfig;
import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineException;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.engine.Generation;
import io.sluice.core.engine.GenerationListener;
import io.sluice.core.engine.GenerationOutcome;
import io.sluice.core.engine.GenerationOutcome.StopReason;
import io.sluice.core.engine.GenerationRequest;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.stream.TaskEvent;
import io.sluice.core.task.EngineKind;
import io.sluice.core.testing.Await;
import io.sluice.core.task.TaskRequest;
import io.sluice.core.task.TaskSpec;
import io.sluice.core.task.TaskValidator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What the scheduler makes of an engine's own report: its token count wins over counted frames, a cut-short
 * answer is said before the end, and a request the engine rejected is not retried elsewhere. The engine is a
 * stand-in driven by the test: the protocols themselves are tested against the simulator in platform/engines.
 */
class EngineOutcomeTest {
    private TaskScheduler scheduler;
    private final Map<UUID, GenerationListener> inFlight = new ConcurrentHashMap<>();
    private final List<String> calls = new CopyOnWriteArrayList<>();

    private final class ManualEngine implements EngineAdapter {
        private final String id;

        ManualEngine(String id) {
            this.id = id;
        }

        @Override
        public EngineKind kind() {
            return EngineKind.LLAMACPP;
        }

        @Override
        public String endpoint() {
            return "manual://" + id;
        }

        @Override
        public CompletableFuture<EngineProbe> probe() {
            return CompletableFuture.completedFuture(new EngineProbe("manual-1", null, "m", 4096, 1, 0));
        }

        @Override
        public Generation generate(GenerationRequest request, GenerationListener listener) {
            if (request.prompt().equals("ping")) {
                listener.onEnd(1, 1); // readiness decode
            } else {
                calls.add(id);
                inFlight.put(request.taskId(), listener);
            }
            return () -> inFlight.remove(request.taskId());
        }
    }

    @BeforeEach
    void start() throws Exception {
        SluiceConfig config = new ConfigLoader(true).parse("""
                pools:
                  - id: p
                    model: m
                    engine: llamacpp
                    replicas:
                      - {id: r0, url: "http://127.0.0.1:1"}
                      - {id: r1, url: "http://127.0.0.1:2"}
                """);
        scheduler = new TaskScheduler(config, (p, r) -> new ManualEngine(r.id()), t -> 1.0, 60_000, OutcomeStore.IN_MEMORY);
        scheduler.start();
        // Both replicas, not just the pool: the reset case needs a second Ready replica to retry on.
        Await.until(Duration.ofSeconds(30), () -> scheduler.pools().pools().get(0).replicas().stream()
                .allMatch(r -> r.state() == ReplicaState.READY), "both replicas became ready");
    }

    @AfterEach
    void close() {
        scheduler.close();
    }


    private TaskRun submit(long maxTokens) throws InterruptedException {
        TaskSpec spec = TaskValidator.validate(new TaskRequest(UUID.randomUUID().toString(), UUID.randomUUID().toString(), "completion",
                "m", null, null, "interactive", null, null, null, "hello", null, maxTokens, null, null, null, null, null, null), "t");
        var pools = scheduler.pools().poolsServing(spec);
        TaskRun run = scheduler.dispatcher().enqueue(spec, scheduler.planner().place(spec, pools, List.of()), "test-instance");
        Await.until(Duration.ofSeconds(30), () -> inFlight.containsKey(spec.taskId()), "the task reached an engine");
        return run;
    }

    private static List<TaskEvent.Metrics> metrics(TaskRun run) {
        return run.log().snapshot().stream().filter(e -> e instanceof TaskEvent.Metrics).map(e -> (TaskEvent.Metrics) e).toList();
    }

    @Test
    @DisplayName("POOL-4 tokens_out is the engine's count when frames packed several tokens; a closing metrics event says so")
    void engineCountWins() throws Exception {
        TaskRun run = submit(8);
        GenerationListener l = inFlight.get(run.spec().taskId());
        l.onToken("a");
        l.onToken("b é");
        l.onToken("c");
        l.onEnd(new GenerationOutcome(5, 2, 3, StopReason.MAX_TOKENS, false));

        TaskEvent.End end = (TaskEvent.End) run.terminalEvent().orElseThrow();
        assertThat(end.tokensOut()).isEqualTo(5);
        assertThat(run.tokensOut()).isEqualTo(5);
        TaskEvent.Metrics last = metrics(run).get(metrics(run).size() - 1);
        assertThat(last.values()).containsEntry("tokens_out", 5L).containsEntry("stop_reason", "max_tokens")
                .containsEntry("truncated", false).containsKeys("on_time_probability", "queue_depth", "kv_warmth");
    }

    @Test
    @DisplayName("POOL-4 an answer cut by the engine's context ends with a metrics event naming context_limit and truncated")
    void contextLimitIsSurfaced() throws Exception {
        TaskRun run = submit(8);
        GenerationListener l = inFlight.get(run.spec().taskId());
        l.onToken("a");
        l.onEnd(new GenerationOutcome(1, 4090, 1, StopReason.CONTEXT_LIMIT, true));
        assertThat(run.terminalEvent().orElseThrow()).isInstanceOf(TaskEvent.End.class);
        assertThat(metrics(run).get(metrics(run).size() - 1).values())
                .containsEntry("stop_reason", "context_limit").containsEntry("truncated", true);
    }

    @Test
    @DisplayName("REL-1 a request the engine rejected is not retried on another replica; a reset one is")
    void rejectionIsNotRetried() throws Exception {
        TaskRun rejected = submit(8);
        inFlight.get(rejected.spec().taskId()).onError(new EngineException(ErrorCode.INVALID_PARAMS,
                "llama.cpp rejected the request: exceeds the available context size", 400, "exceed_context_size_error", null));
        TaskEvent.Failed f = (TaskEvent.Failed) rejected.terminalEvent().orElseThrow();
        assertThat(f.error().code()).isEqualTo(ErrorCode.INVALID_PARAMS);
        assertThat(f.error().message()).contains("exceeds the available context size");
        assertThat(calls).hasSize(1);

        calls.clear();
        TaskRun reset = submit(8);
        inFlight.get(reset.spec().taskId()).onError(new EngineException(ErrorCode.WORKER_RESET, "engine closed the connection"));
        Await.until(Duration.ofSeconds(30), () -> calls.size() == 2, "the reset task was sent to the other replica");
        assertThat(calls.get(1)).isNotEqualTo(calls.get(0));
        inFlight.get(reset.spec().taskId()).onEnd(new GenerationOutcome(1, 1, 1, StopReason.MAX_TOKENS, false));
        assertThat(reset.terminalEvent().orElseThrow()).isInstanceOf(TaskEvent.End.class);
    }
}
