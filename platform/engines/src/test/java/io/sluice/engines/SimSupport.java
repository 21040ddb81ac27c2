package io.sluice.engines;

import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineException;
import io.sluice.core.engine.GenerationListener;
import io.sluice.core.engine.GenerationOutcome;
import io.sluice.core.engine.GenerationRequest;
import io.sluice.core.task.EngineKind;
import io.sluice.enginesim.EngineSimulator;
import io.sluice.enginesim.InstanceSpec;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** Shared helpers: simulator instances per engine, a recording listener, bounded waits. */
final class SimSupport {
    static final Duration WAIT = Duration.ofSeconds(15);
    /** One event-loop group for every adapter of the test run, as the application shares its own. */
    static final Vertx VERTX = Vertx.vertx();

    private SimSupport() {}

    static io.sluice.enginesim.EngineKind simKind(EngineKind kind) {
        return switch (kind) {
            case LLAMACPP -> io.sluice.enginesim.EngineKind.LLAMACPP;
            case VLLM -> io.sluice.enginesim.EngineKind.VLLM;
            case TGI -> io.sluice.enginesim.EngineKind.TGI;
            case TRITON -> io.sluice.enginesim.EngineKind.TRITON;
        };
    }

    static InstanceSpec spec(EngineKind kind) {
        return InstanceSpec.of(simKind(kind)).withPort(0).withTokensPerSecond(400).withSlots(2);
    }

    static EngineAdapter adapter(EngineKind kind, EngineSimulator sim, EngineOptions options) {
        return EngineAdapters.create(kind, sim.url(), sim.model(), options, VERTX);
    }

    static GenerationRequest request(String prompt, int maxTokens, long seed) {
        return new GenerationRequest(UUID.randomUUID(), InstanceSpec.DEFAULT_MODEL, prompt, maxTokens, seed, null);
    }

    /**
     * The engine's probe once it answers, tried up to three times as the scheduler's prober retries a probe that
     * failed: a control request whose completion Vert.x never delivers ends after the adapter's deadline instead
     * of hanging, and the next probe answers (see {@code HttpEngineAdapter#withDeadline}).
     */
    static io.sluice.core.engine.EngineProbe probe(EngineAdapter adapter) {
        AssertionError failed = new AssertionError("probe failed three times");
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                return adapter.probe().get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while probing", e);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                failed.addSuppressed(e);
            }
        }
        throw failed;
    }

    /** Waits until the condition holds, failing after {@link #WAIT}; polls, never asserts on elapsed time. */
    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what);
            }
        }
    }

    /** Records one generation's callbacks and counts terminal ones. */
    static final class Recorder implements GenerationListener {
        final List<String> tokens = new CopyOnWriteArrayList<>();
        final AtomicInteger terminals = new AtomicInteger();
        final CompletableFuture<GenerationOutcome> end = new CompletableFuture<>();
        final AtomicInteger started = new AtomicInteger();

        @Override
        public void onStarted() {
            started.incrementAndGet();
        }

        @Override
        public void onToken(String text) {
            tokens.add(text);
        }

        @Override
        public void onEnd(GenerationOutcome outcome) {
            terminals.incrementAndGet();
            end.complete(outcome);
        }

        @Override
        public void onEnd(long tokensOut, long decodeMs) {
            throw new AssertionError("adapters report the engine's outcome, not bare counts");
        }

        @Override
        public void onError(EngineException error) {
            terminals.incrementAndGet();
            end.completeExceptionally(error);
        }

        String text() {
            return String.join("", tokens);
        }

        EngineException error() {
            try {
                end.get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof EngineException ee) {
                    return ee;
                }
                throw new AssertionError("unexpected failure", e.getCause());
            } catch (Exception e) {
                throw new AssertionError("no terminal outcome", e);
            }
            throw new AssertionError("expected an error, the generation ended normally");
        }

        GenerationOutcome outcome() {
            try {
                return end.get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                throw new AssertionError("expected a normal end", e);
            }
        }
    }
}
