package io.sluice.core.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.SluiceConfig;
import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.engine.Generation;
import io.sluice.core.engine.GenerationListener;
import io.sluice.core.engine.GenerationRequest;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceException;
import io.sluice.core.stream.TaskEvent;
import io.sluice.core.task.EngineKind;
import io.sluice.core.task.TaskRequest;
import io.sluice.core.task.TaskSpec;
import io.sluice.core.task.TaskValidator;
import io.sluice.core.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's queueing and full-queue policies, driven by an engine that only answers when the test
 * says so. The engine is a stand-in here on purpose: what is under test is the scheduler's bookkeeping, not
 * an engine protocol (those are tested against the simulator in platform/engines and platform/app).
 */
class TaskSchedulerTest {
    private TaskScheduler scheduler;
    private final Map<UUID, GenerationListener> inFlight = new ConcurrentHashMap<>();
    /** Ids of the tasks whose outcome reached the store, in commit order. */
    private final List<UUID> stored = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** One slot per replica; generations stay open until {@link #complete} is called. */
    private final class ManualEngine implements EngineAdapter {
        @Override
        public EngineKind kind() {
            return EngineKind.LLAMACPP;
        }

        @Override
        public String endpoint() {
            return "manual://engine";
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
                inFlight.put(request.taskId(), listener);
            }
            return () -> inFlight.remove(request.taskId());
        }
    }

    private void start(String fullPolicy, int capacity) throws Exception {
        SluiceConfig config = new ConfigLoader(true).parse("""
                pools:
                  - id: p
                    model: m
                    engine: llamacpp
                    queue:
                      capacity: {interactive: %d, batch: %d}
                      full_policy: %s
                    replicas:
                      - {id: r0, url: "http://127.0.0.1:1"}
                """.formatted(capacity, capacity, fullPolicy));
        OutcomeStore recording = (run, proposed) -> {
            stored.add(run.spec().taskId());
            return CompletableFuture.completedFuture(proposed);
        };
        scheduler = new TaskScheduler(config, (p, r) -> new ManualEngine(), t -> 1.0, 60_000, recording);
        scheduler.start();
        Await.until(Duration.ofSeconds(30), () -> scheduler.pools().pools().get(0).ready(), "pool p became ready");
    }

    @AfterEach
    void close() {
        if (scheduler != null) {
            scheduler.close();
        }
    }

    private TaskRun submit(String priority) {
        TaskSpec spec = spec(priority);
        var pools = scheduler.pools().poolsServing(spec);
        return scheduler.dispatcher().enqueue(spec, scheduler.planner().place(spec, pools, List.of()), "test-instance");
    }

    private static TaskSpec spec(String priority) {
        return TaskValidator.validate(new TaskRequest(UUID.randomUUID().toString(), UUID.randomUUID().toString(), "completion",
                "m", null, null, priority, null, null, null, "hello", null, 4L, null, null, null, null, null, null), "t");
    }

    /** Reserves a place and starts the task at once, as admission does while the task's record commits (ADR 0022). */
    private TaskRun startBeforeRecorded() {
        TaskSpec spec = spec("interactive");
        var pools = scheduler.pools().poolsServing(spec);
        TaskRun run = scheduler.dispatcher().reserve(spec, scheduler.planner().place(spec, pools, List.of()), java.time.Instant.now(),
                "test-instance");
        scheduler.dispatcher().startBeforeRecorded(run);
        return run;
    }

    private static List<String> eventNames(TaskRun run) {
        return run.log().snapshot().stream().map(TaskEvent::name).toList();
    }

    private void complete(TaskRun run) {
        inFlight.remove(run.spec().taskId()).onEnd(0, 1);
    }

    private static String terminalCode(TaskRun run) {
        TaskEvent t = run.terminalEvent().orElseThrow();
        return t instanceof TaskEvent.Failed f ? f.error().code().name() : t.name();
    }

    @Test
    @DisplayName("ADM-4 ADM-5 reject: a full queue refuses the new task and keeps the waiting ones")
    void rejectPolicy() throws Exception {
        start("reject", 2);
        TaskRun running = submit("interactive");
        TaskRun w1 = submit("interactive");
        TaskRun w2 = submit("interactive");
        assertThatThrownBy(() -> submit("interactive")).isInstanceOfSatisfying(SluiceException.class, e -> {
            assertThat(e.error().code()).isEqualTo(ErrorCode.ADMISSION_REJECT);
            assertThat(e.error().policyLabel()).isEqualTo("reject");
            assertThat(e.error().retryAfterMs()).isPositive();
        });
        assertThat(List.of(w1, w2)).allMatch(r -> !r.log().ended());
        complete(running);
        assertThat(terminalCode(running)).isEqualTo("end");
    }

    @Test
    @DisplayName("ADM-4 drop-lru: the oldest waiting task ends with QUEUE_FULL_DROP_LRU and the new one is admitted")
    void dropLru() throws Exception {
        start("drop-lru", 2);
        submit("interactive");
        TaskRun oldest = submit("interactive");
        TaskRun second = submit("interactive");
        TaskRun newest = submit("interactive");
        assertThat(terminalCode(oldest)).isEqualTo("QUEUE_FULL_DROP_LRU");
        assertThat(second.log().ended()).isFalse();
        assertThat(newest.log().ended()).isFalse();
        assertThat(((TaskEvent.Failed) oldest.terminalEvent().orElseThrow()).error().policyLabel()).isEqualTo("drop-lru");
    }

    @Test
    @DisplayName("ADM-4 shed-low-priority: a waiting batch task is shed for an interactive one; without one, reject")
    void shedLowPriority() throws Exception {
        start("shed-low-priority", 1);
        submit("interactive");
        TaskRun waitingBatch = submit("batch");
        TaskRun waitingInteractive = submit("interactive");
        // interactive queue is full (1): a new interactive sheds nothing of its own class...
        // ...but the batch queue holds a lower-priority task, which is shed for it.
        TaskRun admitted = submit("interactive");
        assertThat(terminalCode(waitingBatch)).isEqualTo("QUEUE_FULL_SHED");
        assertThat(waitingInteractive.log().ended()).isFalse();
        assertThat(admitted.log().ended()).isFalse();
        assertThatThrownBy(() -> submit("interactive")).isInstanceOfSatisfying(SluiceException.class,
                e -> assertThat(e.error().code()).isEqualTo(ErrorCode.ADMISSION_REJECT));
    }

    @Test
    @DisplayName("REL-1 SSE-3 every task ends exactly once: cancel of a queued task frees its place, slot release dispatches the next")
    void exactlyOneTerminal() throws Exception {
        start("reject", 4);
        TaskRun a = submit("interactive");
        TaskRun b = submit("interactive");
        TaskRun c = submit("interactive");
        assertThat(scheduler.dispatcher().cancel(b.spec().taskId())).isTrue();
        assertThat(scheduler.dispatcher().cancel(b.spec().taskId())).isFalse();
        complete(a);
        Await.until(Duration.ofSeconds(30), () -> inFlight.containsKey(c.spec().taskId()), "the freed slot dispatched the queued task c");
        complete(c);
        assertThat(List.of(a, b, c)).allMatch(r -> r.log().snapshot().stream().filter(TaskEvent::terminal).count() == 1);
        assertThat(terminalCode(b)).isEqualTo("CANCELED");
        assertThat(scheduler.runs().usage("t").queued()).isZero();
        assertThat(scheduler.runs().usage("t").running()).isZero();
    }

    @Test
    @DisplayName("ended tasks are forgotten once their retention passed, oldest first; running ones are kept")
    void endedRunsExpireInOrder() throws Exception {
        start("reject", 4);
        TaskRun a = submit("interactive");
        TaskRun b = submit("interactive");
        TaskRun running = submit("interactive");
        complete(a);
        Await.until(Duration.ofSeconds(30), () -> a.terminalEvent().isPresent(), "task a ended");
        complete(b);
        Await.until(Duration.ofSeconds(30), () -> b.terminalEvent().isPresent(), "task b ended");
        long aEnded = a.log().closedAtNanos();
        long bEnded = b.log().closedAtNanos();
        long retention = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(60_000);

        scheduler.runs().evictExpired(aEnded + retention);
        assertThat(scheduler.runs().find(a.spec().taskId())).as("a's retention has not passed yet").isPresent();

        scheduler.runs().evictExpired(aEnded + retention + 1);
        assertThat(scheduler.runs().find(a.spec().taskId())).as("a expired").isEmpty();
        assertThat(scheduler.runs().find(b.spec().taskId()).isPresent()).as("b kept unless its own retention passed")
                .isEqualTo(bEnded > aEnded);

        scheduler.runs().evictExpired(Math.max(aEnded, bEnded) + 10 * retention);
        assertThat(scheduler.runs().find(b.spec().taskId())).isEmpty();
        assertThat(scheduler.runs().find(running.spec().taskId())).as("a running task never expires").isPresent();
    }

    @Test
    @DisplayName("a task started while its record commits runs on the engine at once, but shows and stores nothing until the record is durable; then everything follows in order")
    void startedBeforeRecordedWaitsForTheRecord() throws Exception {
        start("reject", 4);
        TaskRun run = startBeforeRecorded();
        UUID id = run.spec().taskId();
        Await.until(Duration.ofSeconds(30), () -> inFlight.containsKey(id), "the engine request was sent before the record");
        GenerationListener engine = inFlight.get(id);
        engine.onToken("a");
        engine.onToken("b");
        engine.onEnd(2, 5);

        assertThat(eventNames(run)).as("only the start, held until the record is durable").containsExactly("started");
        assertThat(run.log().ended()).isFalse();
        assertThat(scheduler.runs().find(id)).as("invisible to status, stream and cancel").isEmpty();
        assertThat(stored).as("no outcome stored before the admission record").isEmpty();

        scheduler.dispatcher().recorded(run);

        assertThat(scheduler.runs().find(id)).containsSame(run);
        assertThat(eventNames(run)).containsExactly("started", "metrics", "token", "token", "end");
        assertThat(run.log().snapshot().stream().filter(e -> e instanceof TaskEvent.Token).map(e -> ((TaskEvent.Token) e).t()))
                .containsExactly("a", "b");
        assertThat(stored).containsExactly(id);
        assertThat(scheduler.runs().usage("t").running()).isZero();
    }

    @Test
    @DisplayName("a task started while its record commits, whose record is not written, is aborted on the engine, frees its slot and leaves no outcome")
    void notRecordedAbortsTheEngineRequest() throws Exception {
        start("reject", 4);
        TaskRun lost = startBeforeRecorded();
        UUID lostId = lost.spec().taskId();
        Await.until(Duration.ofSeconds(30), () -> inFlight.containsKey(lostId), "the engine request was sent");
        GenerationListener engine = inFlight.get(lostId);
        engine.onToken("a");
        TaskRun waiting = submit("interactive");
        assertThat(inFlight).as("one slot: the recorded task waits").doesNotContainKey(waiting.spec().taskId());

        scheduler.dispatcher().notRecorded(lost);

        assertThat(inFlight).as("the engine request was canceled").doesNotContainKey(lostId);
        Await.until(Duration.ofSeconds(30), () -> inFlight.containsKey(waiting.spec().taskId()), "the freed slot went to the waiting task");
        assertThat(eventNames(lost)).as("nothing the engine sent was published").doesNotContain("token");
        assertThat(scheduler.runs().find(lostId)).isEmpty();
        assertThat(stored).as("no outcome is stored for a task that was never recorded").doesNotContain(lostId);
        complete(waiting);
        assertThat(terminalCode(waiting)).isEqualTo("end");
    }
}
