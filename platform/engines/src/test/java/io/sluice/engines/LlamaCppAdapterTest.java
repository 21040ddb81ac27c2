package io.sluice.engines;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.engine.EngineException;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.engine.Generation;
import io.sluice.core.engine.GenerationListener;
import io.sluice.core.engine.GenerationRequest;
import io.sluice.core.error.ErrorCode;
import io.sluice.enginesim.DeterministicText;
import io.sluice.enginesim.EngineKind;
import io.sluice.enginesim.EngineSimulator;
import io.sluice.enginesim.Fault;
import io.sluice.enginesim.InstanceSpec;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The llama.cpp adapter against the engine simulator speaking the llama.cpp server protocol over real HTTP. */
class LlamaCppAdapterTest {
    private EngineSimulator sim;
    private LlamaCppAdapter adapter;

    @BeforeEach
    void start() {
        sim = EngineSimulator.start(InstanceSpec.of(EngineKind.LLAMACPP).withPort(0).withTokensPerSecond(500).withSlots(2));
        adapter = new LlamaCppAdapter(sim.url(), EngineOptions.DEFAULTS, SimSupport.VERTX);
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    /** Collects one generation's callbacks. */
    static final class Recorder implements GenerationListener {
        final List<String> tokens = new CopyOnWriteArrayList<>();
        final CompletableFuture<Long> end = new CompletableFuture<>();

        @Override
        public void onToken(String text) {
            tokens.add(text);
        }

        @Override
        public void onEnd(long tokensOut, long decodeMs) {
            end.complete(tokensOut);
        }

        @Override
        public void onError(EngineException error) {
            end.completeExceptionally(error);
        }
    }

    @Test
    @DisplayName("POOL-4 probe reports engine version, model digest, slots and context from /health and /props, without /slots")
    void probe() throws Exception {
        EngineProbe p = SimSupport.probe(adapter);
        assertThat(p.engineVersion()).startsWith(sim.engineVersion());
        assertThat(p.modelDigest()).isEqualTo(sim.digest());
        assertThat(p.slots()).isEqualTo(2);
        assertThat(p.ctxMax()).isEqualTo(InstanceSpec.DEFAULT_CTX);
        assertThat(p.busySlots()).isEqualTo(-1);
    }

    @Test
    @DisplayName("POOL-4 DET-1 a streamed completion yields every token in order, byte-identical to the engine's text")
    void streamsTokens() throws Exception {
        Recorder r = new Recorder();
        adapter.generate(new GenerationRequest(UUID.randomUUID(), "dev-tiny", "Hello", 12, 7, null), r);
        assertThat(r.end.get(10, TimeUnit.SECONDS)).isEqualTo(12);
        assertThat(String.join("", r.tokens))
                .isEqualTo(DeterministicText.text(7, "Hello", sim.engineVersion(), sim.digest(), 12));
    }

    @Test
    @DisplayName("SSE-3 POOL-4 cancelling a generation closes the connection and the engine frees its slot")
    void cancelFreesSlot() throws Exception {
        sim.close();
        sim = EngineSimulator.start(InstanceSpec.of(EngineKind.LLAMACPP).withPort(0).withTokensPerSecond(20).withSlots(1));
        adapter = new LlamaCppAdapter(sim.url(), EngineOptions.DEFAULTS, SimSupport.VERTX);
        Recorder r = new Recorder();
        Generation g = adapter.generate(new GenerationRequest(UUID.randomUUID(), "dev-tiny", "Hello", 500, 1, null), r);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (r.tokens.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(sim.stats().active()).isEqualTo(1);
        g.cancel();
        while (sim.stats().active() > 0 && System.nanoTime() < deadline + TimeUnit.SECONDS.toNanos(5)) {
            Thread.sleep(10);
        }
        assertThat(sim.stats().active()).isZero();
        assertThat(sim.stats().aborted()).isEqualTo(1);
    }

    @Test
    @DisplayName("REL-1 POOL-4 engine failures map to typed errors: crash and garbage are WORKER_RESET")
    void failuresAreTyped() {
        sim.armFault(Fault.of(Fault.Mode.CRASH_MID_STREAM).withAfterTokens(2).withCount(1));
        Recorder crash = new Recorder();
        adapter.generate(new GenerationRequest(UUID.randomUUID(), "dev-tiny", "Hi", 10, 1, null), crash);
        assertThat(crash.end).failsWithin(10, TimeUnit.SECONDS).withThrowableThat()
                .havingCause().isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.WORKER_RESET));

        sim.armFault(Fault.of(Fault.Mode.GARBAGE).withAfterTokens(1).withCount(1));
        Recorder garbage = new Recorder();
        adapter.generate(new GenerationRequest(UUID.randomUUID(), "dev-tiny", "Hi", 10, 1, null), garbage);
        assertThat(garbage.end).failsWithin(10, TimeUnit.SECONDS).withThrowableThat()
                .havingCause().isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.WORKER_RESET));
    }

    @Test
    @DisplayName("POOL-2 a loading engine probes as POOL_UNREADY; a dead one as WORKER_RESET")
    void readiness() throws Exception {
        sim.close();
        sim = EngineSimulator.start(InstanceSpec.of(EngineKind.LLAMACPP).withPort(0).withLoadMs(60_000));
        adapter = new LlamaCppAdapter(sim.url(), EngineOptions.DEFAULTS, SimSupport.VERTX);
        assertThat(adapter.probe()).failsWithin(5, TimeUnit.SECONDS).withThrowableThat()
                .havingCause().isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.POOL_UNREADY));
        LlamaCppAdapter dead = new LlamaCppAdapter(java.net.URI.create("http://127.0.0.1:9"), EngineOptions.DEFAULTS, SimSupport.VERTX);
        assertThat(dead.probe()).failsWithin(5, TimeUnit.SECONDS).withThrowableThat()
                .havingCause().isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.WORKER_RESET));
    }
}
