package io.sluice.app.tasks.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Natural batching of database work ("group commit"): requests that arrive while a flush is in flight wait for
 * the next one, which takes all of them in one statement, one round trip and one commit. Nothing waits for a
 * timer, so a lone request is flushed at once; under load the batches grow by themselves.
 *
 * <p>Thread-safe; submitters never block. The flush function is called with at most {@code maxInFlight}
 * batches outstanding and must answer one result per input, in input order.
 *
 * @param <I> request
 * @param <O> result of one request
 */
final class GroupCommit<I, O> {
    private final Function<List<I>, CompletionStage<List<O>>> flush;
    private final int maxBatch;
    private final int maxInFlight;
    private final List<Waiter<I, O>> pending = new ArrayList<>();
    private int inFlight;

    private record Waiter<I, O>(I item, CompletableFuture<O> result) {}

    /**
     * @param flush writes one batch; its stage fails as a whole or answers every request
     * @param maxBatch most requests in one flush
     * @param maxInFlight most flushes outstanding at once (connections used)
     */
    GroupCommit(Function<List<I>, CompletionStage<List<O>>> flush, int maxBatch, int maxInFlight) {
        this.flush = flush;
        this.maxBatch = maxBatch;
        this.maxInFlight = maxInFlight;
    }

    CompletableFuture<O> submit(I item) {
        Waiter<I, O> w = new Waiter<>(item, new CompletableFuture<>());
        List<Waiter<I, O>> batch;
        synchronized (this) {
            pending.add(w);
            batch = takeBatch();
        }
        if (batch != null) {
            run(batch);
        }
        return w.result;
    }

    /** Requests waiting for a flush, for gauges and tests. */
    synchronized int waiting() {
        return pending.size();
    }

    /** Whether nothing is waiting and no flush is outstanding. */
    synchronized boolean idle() {
        return pending.isEmpty() && inFlight == 0;
    }

    private List<Waiter<I, O>> takeBatch() {
        if (pending.isEmpty() || inFlight >= maxInFlight) {
            return null;
        }
        int n = Math.min(maxBatch, pending.size());
        List<Waiter<I, O>> batch = new ArrayList<>(pending.subList(0, n));
        pending.subList(0, n).clear();
        inFlight++;
        return batch;
    }

    private void run(List<Waiter<I, O>> batch) {
        List<I> items = new ArrayList<>(batch.size());
        for (Waiter<I, O> w : batch) {
            items.add(w.item);
        }
        CompletionStage<List<O>> stage;
        try {
            stage = flush.apply(items);
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((results, err) -> {
            List<Waiter<I, O>> next;
            synchronized (this) {
                inFlight--;
                next = takeBatch();
            }
            // The next flush starts before this batch's waiters run their continuations, so a slow
            // continuation never delays the database.
            if (next != null) {
                run(next);
            }
            for (int i = 0; i < batch.size(); i++) {
                CompletableFuture<O> f = batch.get(i).result;
                if (err != null) {
                    f.completeExceptionally(err);
                } else if (results == null || results.size() != batch.size()) {
                    f.completeExceptionally(new IllegalStateException(
                            "flush answered " + (results == null ? "nothing" : results.size() + " results") + " for " + batch.size()));
                } else {
                    f.complete(results.get(i));
                }
            }
        });
    }
}
