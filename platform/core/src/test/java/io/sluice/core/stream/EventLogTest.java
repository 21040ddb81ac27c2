package io.sluice.core.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EventLogTest {

    @Test
    @DisplayName("SSE-2 a late subscriber replays every event from the start, then live ones, in order")
    void replayThenLive() {
        EventLog log = new EventLog();
        log.append(new TaskEvent.Started(0, 0, "p", null, "llamacpp"));
        log.append(new TaskEvent.Token("a", 0));
        List<Long> ids = new ArrayList<>();
        List<String> names = new ArrayList<>();
        log.subscribe(0, (id, e) -> {
            ids.add(id);
            names.add(e.name());
        });
        log.append(new TaskEvent.Token("b", 1));
        log.append(new TaskEvent.End(2, 5));
        assertThat(ids).containsExactly(1L, 2L, 3L, 4L);
        assertThat(names).containsExactly("started", "token", "token", "end");
    }

    @Test
    @DisplayName("SSE-2 Last-Event-ID resumes after the given event")
    void resumeAfterId() {
        EventLog log = new EventLog();
        for (int i = 0; i < 5; i++) {
            log.append(new TaskEvent.Token("t" + i, i));
        }
        List<Long> ids = new ArrayList<>();
        log.subscribe(3, (id, e) -> ids.add(id));
        assertThat(ids).containsExactly(4L, 5L);
    }

    @Test
    @DisplayName("SSE-1 SSE-3 exactly one terminal event; nothing is appended after it")
    void terminalIsFinal() {
        EventLog log = new EventLog();
        assertThat(log.append(new TaskEvent.Failed(SluiceError.of(ErrorCode.CANCELED, "c")))).isTrue();
        assertThat(log.append(new TaskEvent.Token("late", 0))).isFalse();
        assertThat(log.append(new TaskEvent.End(0, 0))).isFalse();
        assertThat(log.snapshot()).hasSize(1);
        assertThat(log.ended()).isTrue();
    }

    @Test
    @DisplayName("SSE-3 racing cancel and tokens: no token follows the terminal event")
    void raceCancelAgainstTokens() throws Exception {
        for (int round = 0; round < 200; round++) {
            EventLog log = new EventLog();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            CountDownLatch go = new CountDownLatch(1);
            AtomicLong i = new AtomicLong();
            pool.submit(() -> {
                go.await();
                while (log.append(new TaskEvent.Token("x", i.getAndIncrement()))) {
                    Thread.onSpinWait();
                }
                return null;
            });
            pool.submit(() -> {
                go.await();
                log.append(new TaskEvent.Failed(SluiceError.of(ErrorCode.CANCELED, "c")));
                return null;
            });
            go.countDown();
            pool.shutdown();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            List<TaskEvent> events = log.snapshot();
            assertThat(events.get(events.size() - 1)).isInstanceOf(TaskEvent.Failed.class);
            assertThat(events.stream().filter(TaskEvent::terminal)).hasSize(1);
        }
    }

    @Test
    @DisplayName("SSE-2 resuming at or after the terminal event's id ends the subscription at once, without events")
    void resumeAtTerminalEndsAtOnce() {
        EventLog log = new EventLog();
        log.append(new TaskEvent.Started(0, 0, "p", null, "llamacpp"));
        log.append(new TaskEvent.End(0, 1));
        for (long after : new long[] {2, 3, 99}) {
            List<Long> ids = new ArrayList<>();
            AtomicLong ends = new AtomicLong();
            log.subscribe(after, new EventLog.Listener() {
                @Override
                public void onEvent(long id, TaskEvent event) {
                    ids.add(id);
                }

                @Override
                public void onEnd() {
                    ends.incrementAndGet();
                }
            });
            assertThat(ids).as("events after id %d", after).isEmpty();
            assertThat(ends.get()).as("end signals after id %d", after).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("SSE-2 a Last-Event-ID ahead of a live log only lets later ids through")
    void resumeAheadOfLiveLog() {
        EventLog log = new EventLog();
        log.append(new TaskEvent.Started(0, 0, "p", null, "llamacpp"));
        List<Long> ids = new ArrayList<>();
        log.subscribe(3, (id, e) -> ids.add(id));
        log.append(new TaskEvent.Token("a", 0)); // id 2
        log.append(new TaskEvent.Token("b", 1)); // id 3
        log.append(new TaskEvent.Token("c", 2)); // id 4
        log.append(new TaskEvent.End(3, 1)); // id 5
        assertThat(ids).containsExactly(4L, 5L);
    }

    @Test
    @DisplayName("SSE-3 REL-5 a sealed log refuses tokens at once; the terminal event is published later with the stored id")
    void sealThenPublish() {
        EventLog log = new EventLog();
        log.append(new TaskEvent.Token("a", 0));
        List<Long> ids = new ArrayList<>();
        List<String> names = new ArrayList<>();
        log.subscribe(0, (id, e) -> {
            ids.add(id);
            names.add(e.name());
        });
        long reserved = log.seal();
        assertThat(reserved).isEqualTo(2);
        assertThat(log.seal()).as("a second seal loses").isEqualTo(-1);
        assertThat(log.append(new TaskEvent.Token("late", 1))).isFalse();
        assertThat(log.ended()).isFalse();
        // another instance resolved the task first: its stored outcome and id win over the proposal
        log.publishTerminal(new TaskEvent.Failed(SluiceError.of(ErrorCode.WORKER_RESET, "recovered")), 70);
        log.publishTerminal(new TaskEvent.End(1, 1), reserved);
        assertThat(ids).containsExactly(1L, 70L);
        assertThat(names).containsExactly("token", "error");
        assertThat(log.terminalId()).isEqualTo(70);
    }
}
