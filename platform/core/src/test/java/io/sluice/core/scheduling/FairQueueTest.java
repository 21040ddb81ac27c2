package io.sluice.core.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sluice.core.task.Priority;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FairQueueTest {

    private static double weight(FairQueue.FlowKey k, Map<String, Double> tenantWeights) {
        return tenantWeights.getOrDefault(k.tenant(), 1.0) * (k.priority() == Priority.INTERACTIVE ? 8.0 : 1.0);
    }

    @Test
    @DisplayName("SCH-1 backlogged flows get their weight share of 1,000 dispatches within ±5%")
    void sharesMatchWeights() {
        Map<String, Double> tw = Map.of("acme", 2.0, "globex", 1.0);
        FairQueue<String> q = new FairQueue<>(k -> weight(k, tw));
        // Keep every flow backlogged: refill each flow whenever it is dispatched.
        List<FairQueue.FlowKey> flows = List.of(
                new FairQueue.FlowKey("acme", Priority.INTERACTIVE),
                new FairQueue.FlowKey("acme", Priority.BATCH),
                new FairQueue.FlowKey("globex", Priority.INTERACTIVE),
                new FairQueue.FlowKey("globex", Priority.BATCH));
        for (FairQueue.FlowKey f : flows) {
            for (int i = 0; i < 50; i++) {
                q.enqueue(f.tenant(), f.priority(), f.tenant() + "/" + f.priority());
            }
        }
        Map<FairQueue.FlowKey, Integer> counts = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            FairQueue.Entry<String> e = q.poll().orElseThrow();
            counts.merge(e.flow(), 1, Integer::sum);
            q.enqueue(e.flow().tenant(), e.flow().priority(), e.item());
        }
        double total = flows.stream().mapToDouble(f -> weight(f, tw)).sum();
        for (FairQueue.FlowKey f : flows) {
            double expected = weight(f, tw) / total;
            double actual = counts.getOrDefault(f, 0) / 1000.0;
            assertThat(actual).as("share of %s", f).isCloseTo(expected, within(expected * 0.05 + 0.001));
        }
    }

    @Test
    @DisplayName("SCH-2 arrival order is preserved within one flow")
    void fifoWithinFlow() {
        FairQueue<Integer> q = new FairQueue<>(k -> 1.0);
        for (int i = 0; i < 100; i++) {
            q.enqueue(i % 2 == 0 ? "a" : "b", Priority.BATCH, i);
        }
        List<Integer> a = new ArrayList<>();
        List<Integer> b = new ArrayList<>();
        while (q.size() > 0) {
            int v = q.poll().orElseThrow().item();
            (v % 2 == 0 ? a : b).add(v);
        }
        assertThat(a).isSorted().hasSize(50);
        assertThat(b).isSorted().hasSize(50);
    }

    @Test
    @DisplayName("ADM-4 removal, oldest and newest keep sizes and order consistent")
    void removalAndVictims() {
        FairQueue<String> q = new FairQueue<>(k -> 1.0);
        var first = q.enqueue("a", Priority.BATCH, "a1");
        q.enqueue("a", Priority.BATCH, "a2");
        var b1 = q.enqueue("b", Priority.INTERACTIVE, "b1");
        var b2 = q.enqueue("b", Priority.BATCH, "b2");
        assertThat(q.oldest()).containsSame(first);
        assertThat(q.newest(Priority.BATCH)).containsSame(b2);
        assertThat(q.remove(first)).isTrue();
        assertThat(q.remove(first)).isFalse();
        assertThat(q.size()).isEqualTo(3);
        assertThat(q.size(Priority.BATCH)).isEqualTo(2);
        assertThat(q.remove(b1)).isTrue();
        List<String> out = new ArrayList<>();
        while (q.size() > 0) {
            out.add(q.poll().orElseThrow().item());
        }
        assertThat(out).containsExactlyInAnyOrder("a2", "b2");
        assertThat(q.poll()).isEmpty();
    }

    @Test
    @DisplayName("SCH-1 a newly active flow is not starved by a long-backlogged one")
    void newFlowStartsAtVirtualTime() {
        FairQueue<String> q = new FairQueue<>(k -> 1.0);
        for (int i = 0; i < 500; i++) {
            q.enqueue("big", Priority.BATCH, "big");
        }
        for (int i = 0; i < 250; i++) {
            q.poll();
        }
        q.enqueue("small", Priority.BATCH, "small");
        List<String> next = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            next.add(q.poll().orElseThrow().item());
        }
        assertThat(next).contains("small");
    }

    @Test
    @DisplayName("SCH-1 positionOf estimates the dispatch rank of a new entry")
    void positionEstimate() {
        FairQueue<String> q = new FairQueue<>(k -> 1.0);
        for (int i = 0; i < 10; i++) {
            q.enqueue("a", Priority.BATCH, "a" + i);
        }
        var e = q.enqueue("b", Priority.BATCH, "b0");
        // equal weights: b0's tag equals a0's, so only entries with strictly smaller tags are ahead
        assertThat(q.positionOf(e)).isBetween(0L, 1L);
        var a = q.enqueue("a", Priority.BATCH, "a10");
        assertThat(q.positionOf(a)).isEqualTo(11L);
    }

    @Test
    @DisplayName("SCH-4 workAhead is the work fair queuing dispatches before a new entry while the flows waiting now stay backlogged")
    void workAheadWhileBacklogged() {
        FairQueue<Integer> q = new FairQueue<>(k -> weight(k, Map.of()), item -> item);
        FairQueue.FlowKey interactive = new FairQueue.FlowKey("a", Priority.INTERACTIVE);
        FairQueue.FlowKey batch = new FairQueue.FlowKey("b", Priority.BATCH);
        for (int i = 0; i < 12; i++) {
            q.enqueue("a", Priority.INTERACTIVE, 16);
            q.enqueue("b", Priority.BATCH, 16);
        }
        for (int i = 0; i < 5; i++) {
            FairQueue.Entry<Integer> e = q.poll().orElseThrow();
            q.enqueue(e.flow().tenant(), e.flow().priority(), e.item());
        }
        for (FairQueue.FlowKey key : List.of(interactive, batch)) {
            long predicted = q.workAhead(key, true);
            long waitingNow = q.workAhead(key, false);
            FairQueue.Entry<Integer> mine = q.enqueue(key.tenant(), key.priority(), 16);
            long before = 0;
            // Closed loop: every dispatched task comes back, so both flows stay backlogged.
            for (FairQueue.Entry<Integer> e = q.poll().orElseThrow(); e != mine; e = q.poll().orElseThrow()) {
                before += e.item();
                q.enqueue(e.flow().tenant(), e.flow().priority(), e.item());
            }
            assertThat(predicted).as("work ahead of a new %s entry", key.priority()).isCloseTo(before, within(16L));
            assertThat(waitingNow).as("counting only what waits now is a lower bound").isLessThanOrEqualTo(predicted);
        }
    }

    @Test
    @DisplayName("inTagOrder lists the waiting entries in the order polling dispatches them, removed entries left out")
    void inTagOrderIsDispatchOrder() {
        Map<String, Double> tw = Map.of("acme", 3.0, "globex", 1.0);
        FairQueue<String> q = new FairQueue<>(k -> weight(k, tw));
        List<FairQueue.Entry<String>> removed = new ArrayList<>();
        String[] tenants = {"acme", "globex", "initech"};
        for (int i = 0; i < 60; i++) {
            Priority p = i % 4 == 0 ? Priority.BATCH : Priority.INTERACTIVE;
            FairQueue.Entry<String> e = q.enqueue(tenants[i % 3], p, "t" + i, 1_000L - i);
            if (i % 7 == 3) {
                removed.add(e);
            }
        }
        removed.forEach(q::remove);
        q.poll(); // virtual time moved on
        List<String> listed = q.inTagOrder().stream().map(FairQueue.Entry::item).toList();
        List<String> polled = new ArrayList<>();
        while (q.size() > 0) {
            polled.add(q.poll().orElseThrow().item());
        }
        assertThat(listed).hasSize(60 - removed.size() - 1).isEqualTo(polled);
    }
}
