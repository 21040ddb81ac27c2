package io.sluice.engines;

import static io.sluice.engines.SimSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineException;
import io.sluice.core.engine.Generation;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.task.EngineKind;
import io.sluice.enginesim.EngineSimulator;
import io.sluice.enginesim.Fault;
import io.sluice.enginesim.SimStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every simulator fault on every protocol, through the adapter over real HTTP: exactly one terminal outcome
 * with the expected code, and the engine's slot is free afterwards (the request was closed or aborted).
 */
@DisplayName("POOL-4 REL-1 engine faults on every protocol")
class EngineFaultMatrixTest {
    private final List<EngineSimulator> sims = new ArrayList<>();

    @AfterEach
    void stop() {
        sims.forEach(EngineSimulator::close);
    }

    private EngineSimulator start(io.sluice.enginesim.InstanceSpec spec) {
        EngineSimulator sim = EngineSimulator.start(spec);
        sims.add(sim);
        return sim;
    }

    /** Generation faults: mode, tokens sent before it, the code the adapter must report. */
    static Stream<Arguments> generationFaults() {
        List<Arguments> out = new ArrayList<>();
        for (EngineKind kind : EngineKind.values()) {
            out.add(Arguments.of(kind, Fault.of(Fault.Mode.CRASH_MID_STREAM).withAfterTokens(3), ErrorCode.WORKER_RESET));
            out.add(Arguments.of(kind, Fault.of(Fault.Mode.HANG).withAfterTokens(3), ErrorCode.DECODE_TIMEOUT));
            out.add(Arguments.of(kind, Fault.of(Fault.Mode.HTTP_5XX).withStatus(500), ErrorCode.WORKER_RESET));
            out.add(Arguments.of(kind, Fault.of(Fault.Mode.HTTP_5XX).withStatus(503), ErrorCode.POOL_UNREADY));
            out.add(Arguments.of(kind, Fault.of(Fault.Mode.GARBAGE).withAfterTokens(2), ErrorCode.WORKER_RESET));
            out.add(Arguments.of(kind, Fault.of(Fault.Mode.ERROR_FRAME).withAfterTokens(2), ErrorCode.WORKER_RESET));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @MethodSource("generationFaults")
    void generationFaultEndsOnceWithTypedErrorAndFreesTheSlot(EngineKind kind, Fault fault, ErrorCode expected) {
        EngineSimulator sim = start(SimSupport.spec(kind));
        // The idle timeout is the adapter's own backstop for a hung engine; short here so the test is quick.
        EngineAdapter adapter = SimSupport.adapter(kind, sim, EngineOptions.DEFAULTS.withStreamIdleTimeout(Duration.ofMillis(400)));
        probeWhenReady(adapter);
        sim.armFault(fault);

        SimSupport.Recorder r = new SimSupport.Recorder();
        adapter.generate(SimSupport.request("Tell me about rivers", 40, 11), r);
        EngineException e = r.error();

        assertThat(e.code()).isEqualTo(expected);
        assertThat(e.getMessage()).doesNotContain("Tell me about rivers").doesNotContain("Exception");
        await("the engine frees the slot", () -> sim.stats().active() == 0 && sim.stats().queued() == 0);
        SimStats s = sim.stats();
        assertThat(s.faulted() + s.aborted()).isGreaterThanOrEqualTo(1);
        if (fault.mode() == Fault.Mode.HANG) {
            // The adapter closed the connection itself: the engine saw an abort, not a completion.
            assertThat(s.aborted()).isEqualTo(1);
        }
        assertThat(r.terminals.get()).isEqualTo(1);

        // The replica still serves the next request once the fault is used up.
        SimSupport.Recorder next = new SimSupport.Recorder();
        adapter.generate(SimSupport.request("again", 5, 1), next);
        next.outcome();
        assertThat(next.terminals.get()).isEqualTo(1);
        assertThat(r.terminals.get()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(EngineKind.class)
    @DisplayName("POOL-2 slow start: probe and generation are POOL_UNREADY, nothing holds a slot")
    void slowStartIsUnready(EngineKind kind) {
        EngineSimulator sim = start(SimSupport.spec(kind));
        EngineAdapter adapter = SimSupport.adapter(kind, sim, EngineOptions.DEFAULTS);
        sim.armFault(Fault.of(Fault.Mode.SLOW_START).withDelayMs(120_000));
        assertUnready(sim, adapter);
    }

    @ParameterizedTest
    @EnumSource(EngineKind.class)
    @DisplayName("POOL-2 refused load: probe and generation are POOL_UNREADY, nothing holds a slot")
    void refusedLoadIsUnready(EngineKind kind) {
        // Armed at start: the engine's first (and, outside Triton, only) load fails.
        EngineSimulator sim = start(SimSupport.spec(kind).withFault(Fault.of(Fault.Mode.REFUSE_LOAD).withCount(-1)));
        EngineAdapter adapter = SimSupport.adapter(kind, sim, EngineOptions.DEFAULTS);
        assertUnready(sim, adapter);
    }

    private static void assertUnready(EngineSimulator sim, EngineAdapter adapter) {
        assertThat(adapter.probe()).failsWithin(SimSupport.WAIT).withThrowableThat().havingCause()
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.POOL_UNREADY));
        SimSupport.Recorder r = new SimSupport.Recorder();
        adapter.generate(SimSupport.request("hello", 5, 1), r);
        assertThat(r.error().code()).isEqualTo(ErrorCode.POOL_UNREADY);
        await("the refused request left no slot or queue entry", () -> sim.stats().active() == 0 && sim.stats().queued() == 0);
        assertThat(sim.stats().rejected()).isGreaterThanOrEqualTo(1);
        assertThat(r.terminals.get()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(EngineKind.class)
    @DisplayName("SSE-3 cancel mid-stream aborts the request: the engine counts an abort and frees the slot; no terminal callback")
    void cancelMidStreamFreesSlot(EngineKind kind) {
        EngineSimulator sim = start(SimSupport.spec(kind).withTokensPerSecond(50));
        EngineAdapter adapter = SimSupport.adapter(kind, sim, EngineOptions.DEFAULTS);
        SimSupport.Recorder r = new SimSupport.Recorder();
        Generation g = adapter.generate(SimSupport.request("a long answer please", 2000, 3), r);
        await("tokens flow", () -> r.tokens.size() >= 2);
        assertThat(sim.stats().active()).isEqualTo(1);
        g.cancel();
        g.cancel(); // idempotent
        await("the engine sees the abort", () -> sim.stats().aborted() == 1 && sim.stats().active() == 0);
        assertThat(r.terminals.get()).isZero();
    }

    @ParameterizedTest
    @EnumSource(EngineKind.class)
    @DisplayName("SSE-3 cancel while the engine queues the request removes it from the engine's queue")
    void cancelWhileQueuedLeavesTheQueue(EngineKind kind) {
        EngineSimulator sim = start(SimSupport.spec(kind).withSlots(1).withTokensPerSecond(50));
        EngineAdapter adapter = SimSupport.adapter(kind, sim, EngineOptions.DEFAULTS);
        SimSupport.Recorder first = new SimSupport.Recorder();
        Generation running = adapter.generate(SimSupport.request("first", 2000, 1), first);
        await("first runs", () -> sim.stats().active() == 1);
        SimSupport.Recorder second = new SimSupport.Recorder();
        Generation queued = adapter.generate(SimSupport.request("second", 5, 1), second);
        await("second waits in the engine", () -> sim.stats().queued() == 1);
        queued.cancel();
        await("the engine drops the queued request", () -> sim.stats().queued() == 0 && sim.stats().aborted() == 1);
        running.cancel();
        await("all free", () -> sim.stats().active() == 0 && sim.stats().aborted() == 2);
        assertThat(second.terminals.get()).isZero();
    }

    private static void probeWhenReady(EngineAdapter adapter) {
        // Triton picks its request dialect from the model metadata the probe reads.
        SimSupport.probe(adapter);
    }
}
