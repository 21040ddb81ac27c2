package io.sluice.core.scheduling;

import io.sluice.core.engine.EngineException;
import io.sluice.core.engine.Generation;
import io.sluice.core.engine.GenerationListener;
import io.sluice.core.engine.GenerationOutcome;
import io.sluice.core.engine.GenerationRequest;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.stream.TaskEvent;
import io.sluice.core.task.TaskSpec;
import io.sluice.core.task.TaskState;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Runs dispatched tasks on their replicas: sends the engine request, turns the engine's stream into the task's
 * events, and handles engine failures — one retry on another replica before the first token (REL-1), else the
 * engine's typed error. Listener callbacks arrive on the adapters' I/O threads and never block.
 */
final class RunExecutor {
    private static final Logger LOG = Logger.getLogger(RunExecutor.class);

    private final TaskTermination termination;
    private final Observers observers;
    private final Consumer<Pool> slotFreed;
    private final BiConsumer<Pool, Replica> reprobe;

    RunExecutor(TaskTermination termination, Observers observers, Consumer<Pool> slotFreed, BiConsumer<Pool, Replica> reprobe) {
        this.termination = termination;
        this.observers = observers;
        this.slotFreed = slotFreed;
        this.reprobe = reprobe;
    }

    /** Starts a task already placed on {@code run.replica()} (slot acquired under the pool lock). */
    void start(Pool pool, TaskRun run) {
        Replica r = run.replica();
        TaskSpec s = run.spec();
        boolean resumed = run.hardPreemptions() > 0;
        if (!pool.model().equals(s.modelRef())) {
            // Admitted for the model the pool served before a reload switched it (POOL-3): never run it on another model.
            SluiceError err = SluiceError.of(ErrorCode.POOL_UNAVAILABLE, "pool " + pool.id() + " was reloaded with model " + pool.model()
                            + " before the task could start; resubmit it for the model it should run on")
                    .withEngine(pool.engine().wire(), pool.id());
            termination.finish(run, new TaskEvent.Failed(err), TaskObserver.EndReason.DRAINED);
            return;
        }
        if (resumed && !r.adapter().interruptibleDecode()) {
            // Stopped on an engine that could resume, placed again where none can (it was reloaded or replaced):
            // the task ends retriable rather than restarting a stream the client already partly has (SCH-5).
            SluiceError err = SluiceError.of(ErrorCode.PREEMPTED, "preempted while running and replica " + r.qualifiedId()
                            + " cannot resume it; resubmit it")
                    .withEngine(pool.engine().wire(), pool.id());
            termination.finish(run, new TaskEvent.Failed(err), TaskObserver.EndReason.PREEMPTED);
            return;
        }
        if (run.admission().recorded()) {
            appendStartMetrics(pool, run, r);
        } else {
            // Started while its record commits (ADR 0022): the event waits, and carries the session budgets that
            // the commit reads.
            run.admission().then(recorded -> {
                if (recorded) {
                    appendStartMetrics(pool, run, r);
                }
            });
        }
        GenerationRequest req;
        if (resumed) {
            observers.each(o -> o.onResumed(run));
            // The engine continues after the text the client already has: what is left of max_tokens, from there.
            req = new GenerationRequest(s.taskId(), pool.model(), s.prompt() == null ? "" : s.prompt(),
                    (int) (s.maxTokens() - run.tokensOut()), s.seed(), s.ctx(), run.streamedText(), s.sampling());
        } else {
            observers.each(o -> o.onStarted(run));
            req = new GenerationRequest(s.taskId(), pool.model(), s.prompt() == null ? "" : s.prompt(), s.maxTokens(), s.seed(),
                    s.ctx(), null, s.sampling());
        }
        Generation g;
        try {
            g = r.adapter().generate(req, new RunListener(pool, run, r));
        } catch (RuntimeException e) {
            LOG.errorf(e, "adapter of replica %s failed to start task %s", r.qualifiedId(), s.taskId());
            engineFailed(pool, run, r, new EngineException(ErrorCode.WORKER_RESET, "engine request could not be sent"));
            return;
        }
        boolean ended;
        synchronized (pool) {
            run.generation(g);
            ended = run.log().sealed() || run.replica() != r;
        }
        if (ended) {
            g.cancel();
        }
    }

    private static void appendStartMetrics(Pool pool, TaskRun run, Replica r) {
        Map<String, Object> m = new HashMap<>(8);
        m.put("queue_depth", pool.queueDepth());
        m.put("queue_time_ms", run.queueTimeMs());
        m.put("replica_id", r.qualifiedId());
        m.put("kv_warmth", run.kvWarm());
        m.put("on_time_probability", onTimeProbability(run));
        m.put("state", "running");
        if (run.hardPreemptions() > 0) {
            m.put("resumed", true);
        }
        putBudgets(m, run);
        run.log().append(new TaskEvent.Metrics(m));
    }

    /** The session budgets left after what the run spent so far (SES-4), for {@code metrics} events. */
    static void putBudgets(Map<String, Object> m, TaskRun run) {
        RunBudget b = run.budget();
        if (b == null) {
            return;
        }
        if (b.tokens() != null) {
            m.put("tokens_budget_remaining", Math.max(0, b.tokens() - run.tokensOut()));
        }
        if (b.timeMs() != null) {
            m.put("time_budget_remaining_ms", Math.max(0, b.timeMs() - run.decodeTimeMs()));
        }
        if (b.cost() != null) {
            double left = b.cost() - b.costOf(run.spec().estimatedPromptTokens(), run.tokensOut());
            m.put("cost_budget_remaining", Math.max(0.0, Math.round(left * 1e6) / 1e6));
        }
    }

    static double onTimeProbability(TaskRun run) {
        double msPerToken = run.pool().estimator().msPerToken();
        long elapsed = run.queueTimeMs() + run.decodeTimeMs();
        long remainingBudget = run.spec().deadlineMs() - elapsed;
        if (remainingBudget <= 0) {
            return 0.0;
        }
        if (msPerToken <= 0) {
            return 1.0;
        }
        long tokensLeft = Math.max(0, Pool.expectedTokens(run.spec()) - run.tokensOut());
        double needed = tokensLeft * msPerToken;
        if (needed <= 0) {
            return 1.0;
        }
        // 25 % above the measured need counts as certain, 25 % below as hopeless, linear in between.
        double ratio = remainingBudget / needed;
        return Math.max(0.0, Math.min(1.0, (ratio - 0.75) / 0.5));
    }

    /** Receives one engine request's stream on the adapter's I/O thread. */
    private final class RunListener implements GenerationListener {
        private final Pool pool;
        private final TaskRun run;
        private final Replica replica;
        /** The task's start this listener belongs to; a later start (a resume, SCH-5) makes it stale. */
        private final int start;

        RunListener(Pool pool, TaskRun run, Replica replica) {
            this.pool = pool;
            this.run = run;
            this.replica = replica;
            this.start = run.starts();
        }

        /** Whether the task was stopped by hard preemption since this request started: what it sends is dropped. */
        private boolean stale() {
            return run.starts() != start || run.state() == TaskState.QUEUED;
        }

        // Each callback runs at once when the task's record is durable, else in order once it is, or never when it
        // will not be (ADR 0022): the fast path is one volatile read.

        @Override
        public void onToken(String text) {
            if (stale()) {
                return;
            }
            if (run.admission().recorded()) {
                token(text);
            } else {
                run.admission().then(recorded -> {
                    if (recorded) {
                        token(text);
                    }
                });
            }
        }

        @Override
        public void onEnd(GenerationOutcome outcome) {
            if (stale()) {
                return;
            }
            if (run.admission().recorded()) {
                end(outcome);
            } else {
                run.admission().then(recorded -> {
                    if (recorded) {
                        end(outcome);
                    }
                });
            }
        }

        @Override
        public void onEnd(long tokensOut, long decodeMs) {
            if (stale()) {
                return;
            }
            if (run.admission().recorded()) {
                completed();
            } else {
                run.admission().then(recorded -> {
                    if (recorded) {
                        completed();
                    }
                });
            }
        }

        @Override
        public void onError(EngineException error) {
            if (stale()) {
                return;
            }
            if (run.admission().recorded()) {
                engineFailed(pool, run, replica, error);
            } else {
                run.admission().then(recorded -> {
                    if (recorded) {
                        engineFailed(pool, run, replica, error);
                    }
                });
            }
        }

        private void token(String text) {
            long i = run.tokensOut();
            // An engine that streams past max_tokens breaks the task's event bound (TaskRun.maxEventId): the
            // surplus is not the client's and is dropped.
            if (i >= run.spec().maxTokens()) {
                return;
            }
            RunBudget budget = run.budget();
            if (budget != null && budget.bounded()) {
                String crossed = budget.crossedBy(run.spec().estimatedPromptTokens(), i + 1, run.decodeTimeMs());
                if (crossed != null) {
                    // This token would cross a session budget: the stream ends here, and finishing aborts the engine
                    // request so its slot is freed (SES-4).
                    SluiceError err = SluiceError.of(ErrorCode.SESSION_BUDGET_EXHAUSTED, "session " + run.spec().sessionId() + " used its "
                                    + crossed + " budget; the task ended after " + i + " tokens")
                            .withEngine(pool.engine().wire(), pool.id());
                    termination.finish(run, new TaskEvent.Failed(err), TaskObserver.EndReason.BUDGET);
                    return;
                }
            }
            if (!run.log().append(new TaskEvent.Token(text, i))) {
                abort();
                return;
            }
            run.tokenArrived();
            if ((i + 1) % TaskRun.METRICS_EVERY_TOKENS == 0) {
                Map<String, Object> m = new HashMap<>(8);
                m.put("queue_depth", pool.queueDepth());
                m.put("kv_warmth", run.kvWarm());
                m.put("on_time_probability", onTimeProbability(run));
                m.put("tokens_out", run.tokensOut());
                m.put("state", "running");
                m.put("replica_id", replica.qualifiedId());
                putBudgets(m, run);
                long decodeMs = run.decodeTimeMs();
                if (decodeMs > 0) {
                    m.put("tokens_per_s", Math.round(run.tokensOut() * 10_000.0 / decodeMs) / 10.0);
                }
                run.log().append(new TaskEvent.Metrics(m));
            }
        }

        private void end(GenerationOutcome outcome) {
            if (run.log().sealed()) {
                // Ended already (a session budget, a cancel, the watchdog): what the engine decoded after that was never
                // streamed, and counting it would charge the session past the reservation it streamed within (ADR 0035).
                return;
            }
            if (outcome.incomplete() || outcome.tokensOut() > run.tokensOut()) {
                // Said before the terminal event so a client sees why the answer is short, and what the engine
                // counted (more than the token events when it packed tokens into one frame).
                Map<String, Object> m = new HashMap<>(8);
                m.put("queue_depth", pool.queueDepth());
                m.put("kv_warmth", run.kvWarm());
                m.put("on_time_probability", onTimeProbability(run));
                m.put("tokens_out", Math.max(outcome.tokensOut(), run.tokensOut()));
                m.put("stop_reason", outcome.stopReason().wire());
                m.put("truncated", outcome.incomplete());
                run.log().append(new TaskEvent.Metrics(m));
            }
            run.settleTokensOut(outcome.tokensOut());
            run.engineOutcome(outcome);
            completed();
        }

        private void completed() {
            long measured = run.decodeTimeMs();
            if (termination.finish(run, new TaskEvent.End(run.tokensOut(), measured), TaskObserver.EndReason.COMPLETED)) {
                pool.estimator().record(measured, run.tokensOut(), measured);
            }
        }

        private void abort() {
            Generation g;
            synchronized (pool) {
                g = run.generation();
            }
            if (g != null) {
                g.cancel();
            }
        }
    }

    /**
     * An engine request failed. A task that produced no token yet is retried once on another Ready replica
     * (REL-1); otherwise it ends with the engine's typed error.
     */
    private void engineFailed(Pool pool, TaskRun run, Replica replica, EngineException error) {
        LOG.warnf("task %s on replica %s failed: %s %s", run.spec().taskId(), replica.qualifiedId(), error.code(), error.getMessage());
        // A replica that dropped the request or reports itself not ready is probed again at once.
        if (error.code() == ErrorCode.WORKER_RESET || error.code() == ErrorCode.POOL_UNREADY) {
            reprobe.accept(pool, replica);
        }
        Replica retryOn = null;
        synchronized (pool) {
            if (run.log().sealed() || run.replica() != replica) {
                return;
            }
            // A request the engine rejected (prompt over its context, invalid parameter) fails the same way on
            // every replica: only retriable failures move to another one.
            if (error.code().retriable() && run.tokensOut() == 0 && run.attempts() < TaskRun.MAX_ATTEMPTS) {
                run.failedReplicas().add(replica.id());
                Optional<Replica> other = pool.place(run.failedReplicas(), run.replicaPreference(), run.affineReplica());
                if (other.isPresent()) {
                    replica.release();
                    retryOn = other.get();
                    retryOn.acquire();
                    run.running(retryOn);
                }
            }
        }
        if (retryOn != null) {
            LOG.infof("retrying task %s on replica %s", run.spec().taskId(), retryOn.qualifiedId());
            start(pool, run);
            slotFreed.accept(pool);
            return;
        }
        SluiceError err = SluiceError.of(error.code(), error.getMessage()).withEngine(pool.engine().wire(), pool.id());
        termination.finish(run, new TaskEvent.Failed(err), TaskObserver.EndReason.ENGINE_ERROR);
    }
}
