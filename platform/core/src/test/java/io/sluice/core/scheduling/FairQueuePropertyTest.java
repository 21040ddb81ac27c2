package io.sluice.core.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.task.Priority;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the weighted fair queue over generated flow sets and operation sequences (SCH-1, SCH-2). Weights follow
 * the defaults' shape: a tenant weight times 8 for interactive and 1 for batch.
 */
class FairQueuePropertyTest {
    private static final int DISPATCHES = 1_000;

    /** A (tenant, priority) flow and its tenant's weight. */
    record Flow(String tenant, Priority priority, int tenantWeight) {
        double weight() {
            return tenantWeight * (priority == Priority.INTERACTIVE ? 8.0 : 1.0);
        }

        FairQueue.FlowKey key() {
            return new FairQueue.FlowKey(tenant, priority);
        }
    }

    @Provide
    Arbitrary<List<Flow>> flowSets() {
        Arbitrary<Flow> flow = Combinators.combine(Arbitraries.integers().between(0, 5), Arbitraries.of(Priority.values()),
                Arbitraries.integers().between(1, 4)).as((t, p, w) -> new Flow("t" + t, p, w));
        // One weight per tenant, as the tenant directory has it; flows unique per (tenant, priority).
        return flow.list().ofMinSize(1).ofMaxSize(8).map(FairQueuePropertyTest::normalise)
                // Every flow's expected share is at least 20 dispatches, so ±5% is at least one whole dispatch.
                .filter(fs -> fs.stream().allMatch(f -> DISPATCHES * f.weight() / total(fs) >= 20));
    }

    private static List<Flow> normalise(List<Flow> raw) {
        Map<String, Integer> tenantWeight = new HashMap<>();
        Set<FairQueue.FlowKey> seen = new HashSet<>();
        List<Flow> out = new ArrayList<>();
        for (Flow f : raw) {
            int w = tenantWeight.computeIfAbsent(f.tenant(), t -> f.tenantWeight());
            Flow n = new Flow(f.tenant(), f.priority(), w);
            if (seen.add(n.key())) {
                out.add(n);
            }
        }
        return out;
    }

    private static double total(List<Flow> flows) {
        return flows.stream().mapToDouble(Flow::weight).sum();
    }

    private static FairQueue<Flow> backlogged(List<Flow> flows, int backlog) {
        Map<FairQueue.FlowKey, Double> weights = new HashMap<>();
        flows.forEach(f -> weights.put(f.key(), f.weight()));
        FairQueue<Flow> q = new FairQueue<>(k -> weights.get(k));
        for (Flow f : flows) {
            for (int i = 0; i < backlog; i++) {
                q.enqueue(f.tenant(), f.priority(), f);
            }
        }
        return q;
    }

    @Property(tries = 200)
    @Label("SCH-1 with every queue backlogged, each (tenant, priority) gets its weight share of 1,000 dispatches within ±5%")
    void backloggedFlowsGetTheirWeightShare(@ForAll("flowSets") List<Flow> flows) {
        FairQueue<Flow> q = backlogged(flows, 5);
        Map<Flow, Integer> dispatched = new HashMap<>();
        for (int i = 0; i < DISPATCHES; i++) {
            Flow f = q.poll().orElseThrow().item();
            dispatched.merge(f, 1, Integer::sum);
            q.enqueue(f.tenant(), f.priority(), f); // stays backlogged
        }
        for (Flow f : flows) {
            double expected = DISPATCHES * f.weight() / total(flows);
            assertThat((double) dispatched.getOrDefault(f, 0)).as("dispatches of %s among %s", f, flows)
                    .isBetween(expected * 0.95, expected * 1.05);
        }
    }

    @Property(tries = 200)
    @Label("SCH-1 no backlogged flow starves: the gap between two of its dispatches is bounded by the weights")
    void noBackloggedFlowStarves(@ForAll("flowSets") List<Flow> flows) {
        FairQueue<Flow> q = backlogged(flows, 3);
        Map<Flow, Integer> last = new HashMap<>();
        flows.forEach(f -> last.put(f, -1));
        for (int i = 0; i < DISPATCHES; i++) {
            Flow f = q.poll().orElseThrow().item();
            last.put(f, i);
            q.enqueue(f.tenant(), f.priority(), f);
            for (Flow g : flows) {
                // Between two dispatches of g, every other flow h gets at most ceil(w_h / w_g) + 1 dispatches.
                long bound = flows.stream().filter(h -> h != g).mapToLong(h -> (long) Math.ceil(h.weight() / g.weight()) + 1).sum() + 1;
                assertThat((long) (i - last.get(g))).as("dispatches since %s was last served, among %s", g, flows).isLessThanOrEqualTo(bound);
            }
        }
    }

    /** One step of a random workload on the queue. */
    record Op(int kind, int flow) {}

    @Provide
    Arbitrary<List<Op>> workloads() {
        return Combinators.combine(Arbitraries.integers().between(0, 9), Arbitraries.integers().between(0, 5))
                .as(Op::new).list().ofMinSize(1).ofMaxSize(400);
    }

    @Property(tries = 300)
    @Label("SCH-2 under any mix of enqueues, removals and dispatches each queue keeps arrival order and loses nothing")
    void arrivalOrderIsKeptAndNothingIsLost(@ForAll("workloads") List<Op> ops, @ForAll @IntRange(min = 1, max = 8) int interactiveWeight) {
        FairQueue<long[]> q = new FairQueue<>(k -> k.priority() == Priority.INTERACTIVE ? interactiveWeight : 1.0);
        List<FairQueue.Entry<long[]>> waiting = new ArrayList<>();
        Map<FairQueue.FlowKey, Long> lastServed = new HashMap<>();
        Set<Long> removed = new HashSet<>();
        Set<Long> served = new HashSet<>();
        long enqueued = 0;
        for (Op op : ops) {
            FairQueue.FlowKey key = new FairQueue.FlowKey("t" + (op.flow() % 3), op.flow() < 3 ? Priority.INTERACTIVE : Priority.BATCH);
            if (op.kind() < 6) {
                waiting.add(q.enqueue(key.tenant(), key.priority(), new long[] {enqueued++}));
            } else if (op.kind() < 8 && !waiting.isEmpty()) {
                FairQueue.Entry<long[]> victim = waiting.remove((int) (enqueued % waiting.size()));
                assertThat(q.remove(victim)).isTrue();
                removed.add(victim.item()[0]);
            } else if (q.size() > 0) {
                FairQueue.Entry<long[]> e = q.poll().orElseThrow();
                waiting.remove(e);
                long n = e.item()[0];
                assertThat(n).as("served after a later arrival of its own queue").isGreaterThan(lastServed.getOrDefault(e.flow(), -1L));
                lastServed.put(e.flow(), n);
                assertThat(served.add(n)).as("served twice").isTrue();
            }
            assertThat(q.size()).isEqualTo(waiting.size());
        }
        while (q.size() > 0) {
            FairQueue.Entry<long[]> e = q.poll().orElseThrow();
            long n = e.item()[0];
            assertThat(n).isGreaterThan(lastServed.getOrDefault(e.flow(), -1L));
            lastServed.put(e.flow(), n);
            assertThat(served.add(n)).isTrue();
        }
        assertThat(served.size() + removed.size()).as("every entry either served or removed, once").isEqualTo((int) enqueued);
        Set<Long> both = new HashSet<>(served);
        both.retainAll(removed);
        assertThat(both).as("entries both served and removed").isEmpty();
    }

    @Property(tries = 200)
    @Label("SCH-4 heads with equal fair-share tags go earliest deadline first")
    void equalTagsGoEarliestDeadlineFirst(@ForAll @Size(min = 2, max = 10) List<@IntRange(min = 0, max = 100_000) Integer> deadlines) {
        FairQueue<Integer> q = new FairQueue<>(k -> 1.0);
        for (int i = 0; i < deadlines.size(); i++) {
            q.enqueue("tenant-" + i, Priority.BATCH, deadlines.get(i), deadlines.get(i));
        }
        List<Integer> order = new ArrayList<>();
        while (q.size() > 0) {
            order.add(q.poll().orElseThrow().item());
        }
        assertThat(order).isSorted();
    }
}
