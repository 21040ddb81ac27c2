package io.sluice.benchmarks.load;

import io.sluice.benchmarks.load.TaskClient.TaskObserver;
import io.vertx.core.Context;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.HdrHistogram.Histogram;

/**
 * One phase of closed-loop load: {@code clients} clients, each running one task after the other. Client
 * starts are spread evenly over a ramp (one stream's duration) so that arrivals do not come in waves, and
 * only tasks started after the ramp are measured. No new task starts after the measured window or once
 * {@code maxTasks} have started; the phase then waits for the tasks in flight, at most {@code drainNanos}.
 *
 * <p>Everything runs on one Vert.x event loop ({@code context}), so the recorder needs no locks; the
 * result is handed over through a future, which orders the reads after the writes.
 */
final class ClosedLoop {
    /** Pause after a failed task, so that a refusing server is not spun against in a tight loop. */
    static final long ERROR_BACKOFF_MS = 50;

    record Plan(String name, int clients, long rampNanos, long windowNanos, long maxTasks, long drainNanos) {}

    /** What a running phase exposes to the thread that samples the app process during the window. */
    record Running(long windowStartNanos, long windowEndNanos, CompletableFuture<PhaseResult> done) {}

    private final Context context;
    private final TaskClient client;
    private final Plan plan;
    private final CompletableFuture<PhaseResult> done = new CompletableFuture<>();
    private final Histogram ttft = LatencySummary.newHistogram();
    private final Histogram interToken = LatencySummary.newHistogram();
    private final Histogram submit = LatencySummary.newHistogram();
    private final Map<String, Long> errors = new TreeMap<>();
    private long phaseStart;
    private long windowStart;
    private long windowEnd;
    private long started;
    private long measuredTasks;
    private long measuredCompleted;
    private long endedInWindow;
    private long tokensInWindow;
    private int activeClients;
    private boolean closed;

    private ClosedLoop(Context context, TaskClient client, Plan plan) {
        this.context = context;
        this.client = client;
        this.plan = plan;
    }

    static Running start(Context context, TaskClient client, Plan plan) {
        ClosedLoop loop = new ClosedLoop(context, client, plan);
        long now = System.nanoTime();
        loop.phaseStart = now;
        loop.windowStart = now + plan.rampNanos();
        loop.windowEnd = loop.windowStart + plan.windowNanos();
        context.runOnContext(v -> loop.begin());
        return new Running(loop.windowStart, loop.windowEnd, loop.done);
    }

    private void begin() {
        activeClients = plan.clients();
        for (int i = 0; i < plan.clients(); i++) {
            long offsetNanos = plan.clients() == 1 ? 0 : plan.rampNanos() * i / plan.clients();
            long delayMs = Math.max(1, (phaseStart + offsetNanos - System.nanoTime()) / 1_000_000);
            context.owner().setTimer(delayMs, t -> next());
        }
        long drainDeadlineMs = Math.max(1, (windowEnd + plan.drainNanos() - System.nanoTime()) / 1_000_000);
        context.owner().setTimer(drainDeadlineMs, t -> {
            if (!closed) {
                // Tasks still in flight now never finished within the drain allowance: say so, do not wait.
                errors.merge("unfinished at drain timeout", (long) activeClients, Long::sum);
                finish();
            }
        });
    }

    /** A client is free: it starts its next task, or retires when the phase no longer starts tasks. */
    private void next() {
        if (closed) {
            return;
        }
        long now = System.nanoTime();
        if (now >= windowEnd || started >= plan.maxTasks()) {
            if (--activeClients == 0) {
                finish();
            }
            return;
        }
        started++;
        boolean measured = now >= windowStart;
        if (measured) {
            measuredTasks++;
        }
        client.start(started, new Task(now, measured));
    }

    private void finish() {
        closed = true;
        double windowSeconds = plan.windowNanos() / 1e9;
        done.complete(new PhaseResult(plan.name(), client.side(), windowSeconds, ttft, interToken, submit, measuredTasks,
                measuredCompleted, endedInWindow, tokensInWindow, errors, null));
    }

    private boolean inWindow(long t) {
        return t >= windowStart && t < windowEnd;
    }

    private final class Task implements TaskObserver {
        private final long startNanos;
        private final boolean measured;
        private long lastTokenNanos;
        private boolean over;

        Task(long startNanos, boolean measured) {
            this.startNanos = startNanos;
            this.measured = measured;
        }

        @Override
        public void submitted(long nanoTime) {
            if (measured && !closed) {
                LatencySummary.recordNanos(submit, nanoTime - startNanos);
            }
        }

        @Override
        public void token(long nanoTime) {
            if (closed || over) {
                return;
            }
            if (measured) {
                LatencySummary.recordNanos(lastTokenNanos == 0 ? ttft : interToken, nanoTime - (lastTokenNanos == 0 ? startNanos : lastTokenNanos));
            }
            if (inWindow(nanoTime)) {
                tokensInWindow++;
            }
            lastTokenNanos = nanoTime;
        }

        @Override
        public void ended(long nanoTime) {
            if (closed || over) {
                return;
            }
            over = true;
            if (inWindow(nanoTime)) {
                endedInWindow++;
            }
            if (measured) {
                measuredCompleted++;
            }
            next();
        }

        @Override
        public void failed(long nanoTime, String errorKey) {
            if (closed || over) {
                return;
            }
            over = true;
            if (measured) {
                errors.merge(errorKey, 1L, Long::sum);
            }
            context.owner().setTimer(ERROR_BACKOFF_MS, t -> next());
        }
    }
}
