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
}
