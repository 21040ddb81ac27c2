package io.sluice.core.scheduling;

import io.sluice.core.task.Priority;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Weighted fair queue across (tenant, priority) flows (SPEC SCH-1, SCH-2), implemented as self-clocked fair
 * queuing: each entry gets a virtual finish tag {@code max(V, lastFinish(flow)) + 1 / weight(flow)}, the
 * smallest tag is dispatched next and V advances to it. With every flow backlogged, each flow's share of
 * dispatches equals its weight share; within a flow, arrival order is kept. Heads of different flows whose tags
 * are equal (equally weighted flows that became busy at the same virtual time) go earliest deadline first (SCH-4):
 * fairness decides first, urgency only breaks its ties.
 *
 * <p>Enqueue, dequeue and removal are O(log n) (removal is lazy inside a flow). Not thread-safe: the owning
 * pool scheduler serialises access.
 *
 * @param <T> queued item
 */
public final class FairQueue<T> {
    /** A queued item together with its scheduling keys. */
    public static final class Entry<T> {
        private final T item;
        private final FlowKey flow;
        private final long seq;
        private final double finish;
        private final long deadlineAt;
        private final long work;
        private boolean removed;

        private Entry(T item, FlowKey flow, long seq, double finish, long deadlineAt, long work) {
            this.work = work;
            this.item = item;
            this.flow = flow;
            this.seq = seq;
            this.finish = finish;
            this.deadlineAt = deadlineAt;
        }

        public T item() {
            return item;
        }

        public FlowKey flow() {
            return flow;
        }

        /** Arrival sequence number within this queue. */
        public long seq() {
            return seq;
        }
    }

    /** Flow identity: one FIFO per tenant and priority. */
    public record FlowKey(String tenant, Priority priority) {}

    private static final class Flow<T> {
        final ArrayDeque<Entry<T>> entries = new ArrayDeque<>();
        double lastFinish;
        int live;
        /** Summed work of the live entries, for {@link #workAhead}. */
        long work;
    }

    private static final Comparator<Entry<?>> BY_TAG =
            Comparator.<Entry<?>>comparingDouble(e -> e.finish).thenComparingLong(e -> e.deadlineAt).thenComparingLong(e -> e.seq);

    private final ToDoubleFunction<FlowKey> weights;
    private final ToLongFunction<T> workOf;
    private final EnumMap<Priority, Long> work = new EnumMap<>(Priority.class);
    private final Map<FlowKey, Flow<T>> flows = new HashMap<>();
    private final TreeSet<Entry<T>> heads = new TreeSet<>(BY_TAG);
    private final EnumMap<Priority, NavigableMap<Long, Entry<T>>> byArrival = new EnumMap<>(Priority.class);
    private double virtualTime;
    private long nextSeq;
    private int size;

    /**
     * @param weights weight of a flow, read when an entry is enqueued; must be positive
     */
    public FairQueue(ToDoubleFunction<FlowKey> weights) {
        this(weights, item -> 1L);
    }

    /**
     * @param workOf the work an item stands for (a task's expected tokens), summed per priority so that the work
     *     waiting is known in O(1) (SCH-4 predictions)
     */
    public FairQueue(ToDoubleFunction<FlowKey> weights, ToLongFunction<T> workOf) {
        this.weights = weights;
        this.workOf = workOf;
        for (Priority p : Priority.values()) {
            byArrival.put(p, new TreeMap<>());
            work.put(p, 0L);
        }
    }

    /** The summed work of the waiting entries of a priority. */
    public long work(Priority priority) {
        return work.get(priority);
    }

    /** The weight of a flow, as enqueue reads it. */
    public double weightOf(FlowKey flow) {
        return weights.applyAsDouble(flow);
    }

    /** Enqueues an item without a deadline: it loses tag ties to every item that has one. */
    public Entry<T> enqueue(String tenant, Priority priority, T item) {
        return enqueue(tenant, priority, item, Long.MAX_VALUE);
    }

    /**
     * @param deadlineAt when the item must be done, on any clock shared by the queue's callers; breaks ties between
     *     equal virtual finish tags, earliest first
     */
    public Entry<T> enqueue(String tenant, Priority priority, T item, long deadlineAt) {
        FlowKey key = new FlowKey(tenant, priority);
        double w = weights.applyAsDouble(key);
        if (!(w > 0)) {
            throw new IllegalArgumentException("flow weight must be positive: " + key + " -> " + w);
        }
        Flow<T> flow = flows.computeIfAbsent(key, k -> new Flow<>());
        double start = Math.max(virtualTime, flow.live == 0 ? virtualTime : flow.lastFinish);
        Entry<T> e = new Entry<>(item, key, nextSeq++, start + 1.0 / w, deadlineAt, workOf.applyAsLong(item));
        work.merge(priority, e.work, Long::sum);
        flow.work += e.work;
        flow.lastFinish = e.finish;
        flow.entries.addLast(e);
        flow.live++;
        if (flow.live == 1) {
            heads.add(e);
        }
        byArrival.get(priority).put(e.seq, e);
        size++;
        return e;
    }

    /** Removes and returns the entry with the smallest virtual finish tag. */
    public Optional<Entry<T>> poll() {
        Entry<T> head = heads.pollFirst();
        if (head == null) {
            return Optional.empty();
        }
        virtualTime = head.finish;
        Flow<T> flow = flows.get(head.flow);
        flow.entries.pollFirst();
        detach(head, flow);
        advanceHead(flow);
        return Optional.of(head);
    }

    public Optional<Entry<T>> peek() {
        return heads.isEmpty() ? Optional.empty() : Optional.of(heads.first());
    }

    /**
     * The head with the smallest tag among the flows {@code eligible} accepts (a tenant at its concurrency quota is
     * not eligible, SCH-3). Walks the flow heads in tag order: O(skipped flows + log n).
     */
    public Optional<Entry<T>> peek(Predicate<FlowKey> eligible) {
        for (Entry<T> head : heads) {
            if (eligible.test(head.flow)) {
                return Optional.of(head);
            }
        }
        return Optional.empty();
    }

    /**
     * Removes a head returned by {@link #peek(Predicate)}, as {@link #poll()} removes the first one. Virtual time never
     * goes back, so a flow that was skipped keeps its earlier tags and is served first once it is eligible again.
     */
    public void take(Entry<T> head) {
        if (!heads.remove(head)) {
            throw new IllegalArgumentException("not the head of its flow");
        }
        virtualTime = Math.max(virtualTime, head.finish);
        Flow<T> flow = flows.get(head.flow);
        flow.entries.pollFirst();
        detach(head, flow);
        advanceHead(flow);
    }

    /** Removes a waiting entry (cancel, drop, shed). Returns whether it was still queued. */
    public boolean remove(Entry<T> e) {
        if (e.removed) {
            return false;
        }
        Flow<T> flow = flows.get(e.flow);
        boolean wasHead = flow.entries.peekFirst() == e;
        detach(e, flow);
        if (wasHead) {
            heads.remove(e);
            flow.entries.pollFirst();
            advanceHead(flow);
        }
        return true;
    }

    /** Oldest waiting entry across all flows (drop-lru). */
    public Optional<Entry<T>> oldest() {
        Entry<T> best = null;
        for (NavigableMap<Long, Entry<T>> m : byArrival.values()) {
            var first = m.firstEntry();
            if (first != null && (best == null || first.getValue().seq < best.seq)) {
                best = first.getValue();
            }
        }
        return Optional.ofNullable(best);
    }

    /** Newest waiting entry of a priority (shed-low-priority sheds the task that waited least). */
    public Optional<Entry<T>> newest(Priority priority) {
        var last = byArrival.get(priority).lastEntry();
        return last == null ? Optional.empty() : Optional.of(last.getValue());
    }

    public int size() {
        return size;
    }

    /**
     * Every waiting entry in the order the queue would dispatch them if every flow stayed eligible: by virtual finish
     * tag, then deadline, then arrival (a drain moving a pool's waiting tasks elsewhere keeps that order). O(n log n).
     */
    public java.util.List<Entry<T>> inTagOrder() {
        java.util.List<Entry<T>> all = new java.util.ArrayList<>(size);
        for (NavigableMap<Long, Entry<T>> m : byArrival.values()) {
            all.addAll(m.values());
        }
        all.sort(BY_TAG);
        return all;
    }

    public int size(Priority priority) {
        return byArrival.get(priority).size();
    }

    /**
     * Estimated number of entries dispatched before {@code e}: for every flow, the entries whose tags are
     * below e's, derived from the flow's head tag and weight in O(flows) instead of a full scan.
     */
    public long positionOf(Entry<T> e) {
        long ahead = 0;
        for (Map.Entry<FlowKey, Flow<T>> f : flows.entrySet()) {
            Flow<T> flow = f.getValue();
            if (flow.live == 0) {
                continue;
            }
            if (f.getKey().equals(e.flow)) {
                ahead += countAheadInFlow(flow, e);
                continue;
            }
            Entry<T> head = flow.entries.peekFirst();
            if (head == null || head.finish >= e.finish) {
                continue;
            }
            double w = weights.applyAsDouble(f.getKey());
            long n = (long) Math.floor((e.finish - head.finish) * w) + 1;
            ahead += Math.min(n, flow.live);
        }
        return ahead;
    }

    /**
     * The work dispatched before an entry of {@code flow} enqueued now (SCH-4 predictions, ADR 0029): all of the flow's
     * own waiting work, and from every other waiting flow the entries whose tags fall below the new entry's, counted
     * along that flow's tag spacing (1 / its weight) at the average work of its waiting entries.
     *
     * @param stayBacklogged whether a flow waiting now keeps waiting: then its later arrivals, which take tags below the
     *     new entry's too, are counted beyond what waits now (the weighted-fair-queuing bound, what saturation looks
     *     like); otherwise a flow contributes at most what it has waiting now (a lower bound)
     * @return the summed work; O(log n + waiting flows whose head tag is below the new entry's)
     */
    public long workAhead(FlowKey key, boolean stayBacklogged) {
        Flow<T> own = flows.get(key);
        boolean waiting = own != null && own.live > 0;
        double finish = (waiting ? Math.max(virtualTime, own.lastFinish) : virtualTime) + 1.0 / weights.applyAsDouble(key);
        long ahead = waiting ? own.work : 0;
        // Heads in tag order: the flows past the new entry's tag contribute nothing, and neither do those after them.
        for (Entry<T> head : heads) {
            if (head.finish >= finish) {
                break;
            }
            if (head.flow.equals(key)) {
                continue;
            }
            Flow<T> flow = flows.get(head.flow);
            double n = Math.floor((finish - head.finish) * weights.applyAsDouble(head.flow)) + 1;
            if (!stayBacklogged) {
                n = Math.min(n, flow.live);
            }
            ahead += (long) Math.ceil(n * flow.work / flow.live);
        }
        return ahead;
    }

    private long countAheadInFlow(Flow<T> flow, Entry<T> e) {
        if (flow.entries.peekLast() == e) {
            return flow.live - 1L; // the common case: asked right after enqueue
        }
        long n = 0;
        for (Entry<T> x : flow.entries) {
            if (x == e) {
                return n;
            }
            if (!x.removed) {
                n++;
            }
        }
        return n;
    }

    private void detach(Entry<T> e, Flow<T> flow) {
        e.removed = true;
        flow.live--;
        size--;
        byArrival.get(e.flow.priority()).remove(e.seq);
        work.merge(e.flow.priority(), -e.work, Long::sum);
        flow.work -= e.work;
    }

    private void advanceHead(Flow<T> flow) {
        while (!flow.entries.isEmpty() && flow.entries.peekFirst().removed) {
            flow.entries.pollFirst();
        }
        Entry<T> next = flow.entries.peekFirst();
        if (next != null) {
            heads.add(next);
        }
    }
}
