package io.sluice.core.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class AdmissionGateTest {

    @Test
    @DisplayName("actions wait while the record is pending and run in arrival order once it is durable; later ones run at once")
    void waitsThenRunsInOrder() {
        AdmissionGate gate = new AdmissionGate();
        List<String> ran = new ArrayList<>();
        gate.then(ok -> ran.add("first " + ok));
        gate.then(ok -> ran.add("second " + ok));
        assertThat(ran).isEmpty();

        assertThat(gate.resolve(true)).isTrue();
        gate.then(ok -> ran.add("after " + ok));

        assertThat(ran).containsExactly("first true", "second true", "after true");
        assertThat(gate.recorded()).isTrue();
        assertThat(gate.resolve(false)).as("settled once").isFalse();
        assertThat(gate.recorded()).isTrue();
    }

    @Test
    @DisplayName("an action handed in by a waiting action runs in turn, after the ones already waiting")
    void reentrantActionsKeepTheirTurn() {
        AdmissionGate gate = new AdmissionGate();
        List<String> ran = new ArrayList<>();
        gate.then(ok -> {
            ran.add("a");
            gate.then(ok2 -> ran.add("c"));
        });
        gate.then(ok -> ran.add("b"));
        gate.resolve(true);
        assertThat(ran).containsExactly("a", "b", "c");
    }

    @Test
    @DisplayName("when the record is not written every waiting action hears false, and a failing one does not strand the rest")
    void notRecordedTellsEveryAction() {
        AdmissionGate gate = new AdmissionGate();
        List<Boolean> heard = new ArrayList<>();
        gate.then(ok -> {
            throw new IllegalStateException("a defective action");
        });
        gate.then(heard::add);
        gate.resolve(false);
        gate.then(heard::add);
        assertThat(heard).containsExactly(false, false);
        assertThat(gate.recorded()).isFalse();
        assertThat(gate.pending()).isFalse();
    }

    @Test
    @DisplayName("an action handed in from another thread while the waiting ones run is not run before them")
    void concurrentActionWaitsForTheQueue() throws Exception {
        AdmissionGate gate = new AdmissionGate();
        List<String> ran = new CopyOnWriteArrayList<>();
        CountDownLatch draining = new CountDownLatch(1);
        CountDownLatch lateHandedIn = new CountDownLatch(1);
        gate.then(ok -> {
            ran.add("held");
            draining.countDown();
            try {
                // Give the other thread time to try; it must block rather than overtake.
                lateHandedIn.await(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Thread resolver = new Thread(() -> gate.resolve(true));
        resolver.start();
        assertThat(draining.await(10, TimeUnit.SECONDS)).isTrue();
        Thread late = new Thread(() -> {
            lateHandedIn.countDown();
            gate.then(ok -> ran.add("late"));
        });
        late.start();
        resolver.join(10_000);
        late.join(10_000);
        assertThat(ran).containsExactly("held", "late");
    }
}
