package io.sluice.core.scheduling;

import io.sluice.core.config.FullPolicy;
import io.sluice.core.config.SluiceConfig;
import io.sluice.core.config.SluiceConfig.PoolConfig;
import io.sluice.core.config.SluiceConfig.ReplicaConfig;
import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineException;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.engine.Generation;
import io.sluice.core.engine.GenerationListener;
import io.sluice.core.engine.GenerationRequest;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.stream.TaskEvent;
import io.sluice.core.task.Priority;
import io.sluice.core.task.TaskSpec;
import io.sluice.core.task.TaskState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.ToDoubleFunction;
import org.jboss.logging.Logger;

/**
 * Queues, places, runs and watches tasks on the configured pools. This is the heart of the data plane:
 * admission decides <em>whether</em> a task may enter; the scheduler decides <em>when</em> and <em>where</em>
 * it runs and guarantees that every enqueued task reaches exactly one terminal event (SPEC REL-1).
 *
 * <p>Threading: each pool's queue and slot accounting is guarded by the pool's lock; engine requests are
 * started outside it. Two small daemon executors run replica probes (POOL-2) and the watchdog (SCH-7).
 */
public final class TaskScheduler implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TaskScheduler.class);
    /** Tokens between two periodic {@code metrics} frames. */
    private static final int METRICS_EVERY_TOKENS = 32;
    private static final long HEALTH_INTERVAL_MS = 5_000;
    private static final long MIN_BACKOFF_MS = 250;
    private static final long MAX_BACKOFF_MS = 30_000;
    private static final long WATCHDOG_TICK_MS = 100;
    /** A minimal decode must answer within this while a replica is being made Ready. */
    private static final long WARMUP_DECODE_TIMEOUT_MS = 30_000;

    private final Map<String, Pool> pools = new LinkedHashMap<>();
    private final Map<UUID, TaskRun> runs = new ConcurrentHashMap<>();
    private final Map<String, TenantUsage> usage = new ConcurrentHashMap<>();
    private final List<TaskObserver> observers = new ArrayList<>();
    private final ScheduledExecutorService timers;
    private final long retentionMs;
    private volatile boolean closed;

    /**
     * @param config pools and scheduling weights
     * @param adapters creates the adapter of one replica
     * @param tenantWeights weight of a tenant (SCH-1); read at every enqueue, so changes apply at once
     * @param retentionMs how long an ended task's stream stays replayable (SSE-2)
     */
    public TaskScheduler(
            SluiceConfig config,
            BiFunction<PoolConfig, ReplicaConfig, EngineAdapter> adapters,
            ToDoubleFunction<String> tenantWeights,
            long retentionMs) {
        this.retentionMs = retentionMs;
        ToDoubleFunction<FairQueue.FlowKey> weights =
                k -> tenantWeights.applyAsDouble(k.tenant()) * config.scheduling().weightOf(k.priority());
        for (PoolConfig pc : config.pools()) {
            List<Replica> replicas = new ArrayList<>();
            for (ReplicaConfig rc : pc.replicas()) {
                replicas.add(new Replica(rc.id(), pc.id(), adapters.apply(pc, rc), rc.labels()));
            }
            pools.put(pc.id(), new Pool(pc, replicas, weights));
        }
        AtomicInteger n = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "sluice-scheduler-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.timers = Executors.newScheduledThreadPool(2, tf);
    }

    public void addObserver(TaskObserver o) {
        observers.add(o);
    }

    /** Starts replica probing and the watchdog. */
    public void start() {
        for (Pool p : pools.values()) {
            for (Replica r : p.replicas()) {
                timers.execute(() -> probe(p, r));
            }
        }
        timers.scheduleWithFixedDelay(this::watchdogTick, WATCHDOG_TICK_MS, WATCHDOG_TICK_MS, TimeUnit.MILLISECONDS);
        timers.scheduleWithFixedDelay(this::evictExpired, 1, 1, TimeUnit.SECONDS);
    }

    public List<Pool> pools() {
        return List.copyOf(pools.values());
    }

    public Optional<Pool> pool(String id) {
        return Optional.ofNullable(pools.get(id));
    }

    /** A task the scheduler still remembers (queued, running, or ended within the retention). */
    public Optional<TaskRun> find(UUID taskId) {
        return Optional.ofNullable(runs.get(taskId));
    }

    // ------------------------------------------------------------------------------------ admission side

    /** Pools serving {@code spec.modelRef()} (and its engine, if named). Empty when the model is unknown. */
    public List<Pool> poolsServing(TaskSpec spec) {
        List<Pool> out = new ArrayList<>();
        for (Pool p : pools.values()) {
            if (p.model().equals(spec.modelRef()) && (spec.engine() == null || spec.engine() == p.engine())) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * Picks the pool for a task among {@code candidates}: Ready pools only, least loaded first, ties by id
     * (SCH-6). Checks the context and token budget against the chosen pool (ADM-3) and the deadline against
     * its measured service rate (SCH-4).
     *
     * @throws SluiceException POOL_UNREADY, POOL_UNAVAILABLE (ADM-8), INVALID_PARAMS or DEADLINE_UNMET
     */
    public Placement place(TaskSpec spec, List<Pool> candidates) {
        return place(spec, candidates, List.of());
    }

    /**
     * As {@link #place(TaskSpec, List)}, restricted to the replicas a tenant route policy chose, in its order
     * of preference (POL-1 route, SCH-6): the pool of the first preferred replica that is Ready wins.
     */
    public Placement place(TaskSpec spec, List<Pool> candidates, List<String> replicaPreference) {
        if (!replicaPreference.isEmpty()) {
            List<Pool> routed = new ArrayList<>();
            for (String qualified : replicaPreference) {
                for (Pool p : candidates) {
                    if (qualified.startsWith(p.id() + "/") && p.ready() && !routed.contains(p)) {
                        routed.add(p);
                    }
                }
            }
            if (!routed.isEmpty()) {
                Pool chosen = routed.get(0);
                List<String> inPool = replicaPreference.stream().filter(q -> q.startsWith(chosen.id() + "/")).toList();
                Placement p = placeOn(spec, List.of(chosen), candidates);
                return new Placement(p.pool(), p.queuePosition(), p.predictedStartMs(), inPool);
            }
        }
        return placeOn(spec, candidates, candidates);
    }

    private Placement placeOn(TaskSpec spec, List<Pool> eligible, List<Pool> candidates) {
        List<Pool> ready = eligible.stream().filter(Pool::ready).sorted(
                Comparator.comparingDouble(Pool::load).thenComparing(Pool::id)).toList();
        if (ready.isEmpty()) {
            boolean warming = candidates.stream().anyMatch(p -> !p.draining() && p.warmingUp());
            Pool first = candidates.get(0);
            SluiceError e = SluiceError.of(
                            warming ? ErrorCode.POOL_UNREADY : ErrorCode.POOL_UNAVAILABLE,
                            warming
                                    ? "no replica serving " + spec.modelRef() + " is ready yet; replicas are still loading"
                                    : "no replica can serve " + spec.modelRef() + " (all replicas down or draining)")
                    .withEngine(first.engine().wire(), first.id())
                    .withRetryAfter(warming ? 1_000L : 5_000L)
                    .withStage(AdmissionStage.RESOLVE_MODEL);
            throw new SluiceException(e);
        }
        Pool pool = ready.get(0);
        Integer ctxMax = pool.ctxMax();
        int ctx = spec.ctx() != null ? spec.ctx() : (ctxMax != null ? ctxMax : Integer.MAX_VALUE);
        if (ctxMax != null && spec.ctx() != null && spec.ctx() > ctxMax) {
            throw SluiceException.invalid("ctx", "ctx " + spec.ctx() + " is above the limit " + ctxMax + " of pool " + pool.id());
        }
        long budget = (long) spec.estimatedPromptTokens() + spec.maxTokens();
        if (budget > ctx) {
            throw SluiceException.invalid("max_tokens", "prompt (~" + spec.estimatedPromptTokens() + " tokens) plus max_tokens "
                    + spec.maxTokens() + " exceeds the token budget " + ctx);
        }
        long position;
        int readySlots;
        int freeSlots;
        synchronized (pool) {
            position = pool.queue().size();
            readySlots = pool.readySlots();
            freeSlots = pool.freeSlots();
        }
        ServiceEstimator est = pool.estimator();
        long predictedStart = est.predictStartMs(position, readySlots, freeSlots);
        double msPerToken = est.msPerToken();
        if (msPerToken > 0 && est.samples() >= 3) {
            int expected = spec.expectedTokens() != null ? Math.min(spec.expectedTokens(), spec.maxTokens()) : spec.maxTokens();
            long decodeMs = (long) Math.ceil(expected * msPerToken);
            if (decodeMs > spec.deadlineMs()) {
                throw new SluiceException(new SluiceError(ErrorCode.DEADLINE_UNMET,
                        "even an idle pool needs ~" + decodeMs + " ms for " + expected + " tokens; deadline_ms is " + spec.deadlineMs(),
                        false, "deadline_ms", pool.engine().wire(), pool.id(), null, null, AdmissionStage.DEADLINE, null, null));
            }
            if (predictedStart + decodeMs > spec.deadlineMs()) {
                long fitsAt = predictedStart + decodeMs - spec.deadlineMs();
                throw new SluiceException(SluiceError.of(ErrorCode.DEADLINE_UNMET,
                                "predicted completion in ~" + (predictedStart + decodeMs) + " ms misses deadline_ms " + spec.deadlineMs())
                        .withEngine(pool.engine().wire(), pool.id())
                        .withRetryAfter(fitsAt)
                        .withFitsAt(fitsAt)
                        .withStage(AdmissionStage.DEADLINE));
            }
        }
        return new Placement(pool, position, predictedStart, List.of());
    }

    /**
     * Where admission decided a task goes, and what it predicted.
     *
     * @param replicaPreference replicas of {@code pool} a route policy allowed, preferred first; empty = any
     */
    public record Placement(Pool pool, long queuePosition, long predictedStartMs, List<String> replicaPreference) {
        public Placement {
            replicaPreference = replicaPreference == null ? List.of() : List.copyOf(replicaPreference);
        }
    }

    /** A Ready replica as a tenant route policy sees it. */
    public record ReplicaCandidate(String replicaId, String poolId, String engine, int freeSlots, Map<String, String> labels) {}

    /** Ready replicas of {@code pools}, ordered by pool then replica id, for a route policy to choose from. */
    public List<ReplicaCandidate> routeCandidates(List<Pool> pools) {
        List<ReplicaCandidate> out = new ArrayList<>();
        for (Pool p : pools) {
            if (p.draining()) {
                continue;
            }
            for (Replica r : p.replicas()) {
                if (r.state() == ReplicaState.READY) {
                    out.add(new ReplicaCandidate(r.qualifiedId(), p.id(), p.engine().wire(), r.freeSlotsSnapshot(), r.labels()));
                }
            }
        }
        return out;
    }

    /** Queued and running tasks of one tenant, across pools. */
    public TenantUsage usage(String tenant) {
        return usage.computeIfAbsent(tenant, t -> new TenantUsage());
    }

    /**
     * Enqueues an admitted task, applying the pool's full-queue policy (ADM-4), and starts dispatch.
     *
     * @throws SluiceException ADMISSION_REJECT (429) when the queue is full and the policy refuses
     */
    public TaskRun enqueue(TaskSpec spec, Placement placement) {
        Pool pool = placement.pool();
        TaskRun victim = null;
        FullPolicy fullPolicy = pool.config().queue().fullPolicy();
        TaskRun run;
        synchronized (pool) {
            int capacity = pool.config().queue().capacityOf(spec.priority());
            if (pool.queue().size(spec.priority()) >= capacity) {
                victim = chooseVictim(pool, spec.priority(), fullPolicy);
                if (victim == null) {
                    notifyBackpressure(pool, fullPolicy);
                    throw new SluiceException(backpressure(pool, spec.priority(), fullPolicy));
                }
                pool.queue().remove(victim.queueEntry());
            }
            long position = pool.queue().size();
            long predicted = pool.estimator().predictStartMs(position, pool.readySlots(), pool.freeSlots());
            run = new TaskRun(spec, pool, position, predicted, Instant.now(), placement.replicaPreference());
            if (runs.putIfAbsent(spec.taskId(), run) != null) {
                throw SluiceException.of(ErrorCode.CONFLICT, "task " + spec.taskId() + " is already known");
            }
            // Appended under the pool lock: once queued, another thread may dispatch the task at once, and
            // 'started' must precede everything it emits.
            run.log().append(new TaskEvent.Started(position, predicted, pool.id(), null, pool.engine().wire()));
            run.queued(pool.queue().enqueue(spec.tenantId(), spec.priority(), run));
            usage(spec.tenantId()).queued.incrementAndGet();
        }
        if (victim != null) {
            notifyBackpressure(pool, fullPolicy);
            ErrorCode code = fullPolicy == FullPolicy.DROP_LRU ? ErrorCode.QUEUE_FULL_DROP_LRU : ErrorCode.QUEUE_FULL_SHED;
            SluiceError err = SluiceError.of(code, fullPolicy == FullPolicy.DROP_LRU
                            ? "dropped from a full queue to admit a newer task (drop-lru)"
                            : "shed from a full queue to admit a higher-priority task (shed-low-priority)")
                    .withEngine(pool.engine().wire(), pool.id())
                    .withPolicyLabel(fullPolicy.label());
            finish(victim, TaskState.FAILED, new TaskEvent.Failed(err),
                    fullPolicy == FullPolicy.DROP_LRU ? TaskObserver.EndReason.DROPPED : TaskObserver.EndReason.SHED);
        }
        notifyEach(o -> o.onEnqueued(run));
        dispatch(pool);
        return run;
    }

    private TaskRun chooseVictim(Pool pool, Priority incoming, FullPolicy policy) {
        return switch (policy) {
            case REJECT -> null;
            case DROP_LRU -> pool.queue().oldest().map(FairQueue.Entry::item).orElse(null);
            case SHED_LOW_PRIORITY -> {
                if (incoming == Priority.INTERACTIVE) {
                    yield pool.queue().newest(Priority.BATCH).map(FairQueue.Entry::item).orElse(null);
                }
                yield null;
            }
        };
    }

    private SluiceError backpressure(Pool pool, Priority priority, FullPolicy policy) {
        long retry = Math.max(100, (long) pool.estimator().taskMs());
        return SluiceError.of(ErrorCode.ADMISSION_REJECT,
                        "queue of pool " + pool.id() + " is full for priority " + priority.wire() + " (" + policy.label() + ")")
                .withEngine(pool.engine().wire(), pool.id())
                .withRetryAfter(retry)
                .withPolicyLabel(policy.label())
                .withStage(AdmissionStage.ENQUEUE);
    }

    // ------------------------------------------------------------------------------------ cancel

    /**
     * Cancels a task (SSE-3). The terminal {@code error CANCELED} event is appended before the engine request
     * is aborted, so no token can follow it. Returns false when the task had already ended.
     */
    public boolean cancel(UUID taskId) {
        TaskRun run = runs.get(taskId);
        if (run == null) {
            return false;
        }
        SluiceError err = SluiceError.of(ErrorCode.CANCELED, "canceled by the client");
        if (run.pool() != null) {
            err = err.withEngine(run.pool().engine().wire(), run.pool().id());
        }
        return finish(run, TaskState.CANCELED, new TaskEvent.Failed(err), TaskObserver.EndReason.CLIENT_CANCEL);
    }

    // ------------------------------------------------------------------------------------ dispatch

    private void dispatch(Pool pool) {
        if (closed) {
            return;
        }
        List<TaskRun> toStart = new ArrayList<>();
        List<TaskRun> stranded = new ArrayList<>();
        synchronized (pool) {
            if (pool.draining()) {
                return;
            }
            while (pool.queue().size() > 0) {
                TaskRun head = pool.queue().peek().orElseThrow().item();
                Optional<Replica> replica = pool.place(java.util.Set.of(), head.replicaPreference());
                if (replica.isEmpty()) {
                    if (!head.replicaPreference().isEmpty() && !pool.anyReady(head.replicaPreference())) {
                        // Every replica the tenant's route policy allowed is gone: end the task rather than let
                        // it block the queue behind it forever.
                        pool.queue().poll();
                        head.queued(null);
                        stranded.add(head);
                        continue;
                    }
                    break; // keep arrival order: the head waits for a slot on its allowed replicas
                }
                TaskRun run = pool.queue().poll().orElseThrow().item();
                Replica r = replica.get();
                r.acquire();
                run.running(r);
                pool.runningTasks().put(run.spec().taskId().toString(), run);
                TenantUsage u = usage(run.spec().tenantId());
                u.queued.decrementAndGet();
                u.running.incrementAndGet();
                toStart.add(run);
            }
        }
        for (TaskRun run : stranded) {
            usage(run.spec().tenantId()).queued.decrementAndGet();
            SluiceError err = SluiceError.of(ErrorCode.REPLICA_EXHAUSTED,
                            "none of the replicas the tenant's route policy allowed is Ready any more")
                    .withEngine(pool.engine().wire(), pool.id());
            finish(run, TaskState.FAILED, new TaskEvent.Failed(err), TaskObserver.EndReason.ENGINE_ERROR);
        }
        for (TaskRun run : toStart) {
            start(pool, run);
        }
    }

    private void start(Pool pool, TaskRun run) {
        Replica r = run.replica();
        Map<String, Object> m = new HashMap<>();
        m.put("queue_depth", pool.queueDepth());
        m.put("queue_time_ms", run.queueTimeMs());
        m.put("replica_id", r.qualifiedId());
        m.put("kv_warmth", false);
        m.put("on_time_probability", onTimeProbability(run));
        run.log().append(new TaskEvent.Metrics(m));
        notifyEach(o -> o.onStarted(run));
        TaskSpec s = run.spec();
        GenerationRequest req = new GenerationRequest(s.taskId(), pool.model(), s.prompt() == null ? "" : s.prompt(),
                s.maxTokens(), s.seed(), s.ctx());
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
            ended = run.log().ended() || run.replica() != r;
        }
        if (ended) {
            g.cancel();
        }
    }

    private double onTimeProbability(TaskRun run) {
        double msPerToken = run.pool().estimator().msPerToken();
        long elapsed = run.queueTimeMs() + run.decodeTimeMs();
        long remainingBudget = run.spec().deadlineMs() - elapsed;
        if (remainingBudget <= 0) {
            return 0.0;
        }
        if (msPerToken <= 0) {
            return 1.0;
        }
        long tokensLeft = Math.max(0, run.spec().maxTokens() - run.tokensOut());
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

        RunListener(Pool pool, TaskRun run, Replica replica) {
            this.pool = pool;
            this.run = run;
            this.replica = replica;
        }

        @Override
        public void onToken(String text) {
            long i = run.tokensOut();
            if (!run.log().append(new TaskEvent.Token(text, i))) {
                abort();
                return;
            }
            run.tokenArrived();
            if ((i + 1) % METRICS_EVERY_TOKENS == 0) {
                Map<String, Object> m = new HashMap<>();
                m.put("queue_depth", pool.queueDepth());
                m.put("kv_warmth", false);
                m.put("on_time_probability", onTimeProbability(run));
                m.put("tokens_out", run.tokensOut());
                run.log().append(new TaskEvent.Metrics(m));
            }
        }

        @Override
        public void onEnd(long tokensOut, long decodeMs) {
            long measured = run.decodeTimeMs();
            if (finish(run, TaskState.SUCCEEDED, new TaskEvent.End(run.tokensOut(), measured), TaskObserver.EndReason.COMPLETED)) {
                pool.estimator().record(measured, run.tokensOut(), measured);
            }
        }

        @Override
        public void onError(EngineException error) {
            engineFailed(pool, run, replica, error);
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
        if (error.code() == ErrorCode.WORKER_RESET) {
            timers.execute(() -> probe(pool, replica));
        }
        Replica retryOn = null;
        synchronized (pool) {
            if (run.log().ended() || run.replica() != replica) {
                return;
            }
            if (run.tokensOut() == 0 && run.attempts() < 2) {
                run.failedReplicas().add(replica.id());
                Optional<Replica> other = pool.place(run.failedReplicas(), run.replicaPreference());
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
            dispatch(pool);
            return;
        }
        SluiceError err = SluiceError.of(error.code(), error.getMessage()).withEngine(pool.engine().wire(), pool.id());
        finish(run, TaskState.FAILED, new TaskEvent.Failed(err), TaskObserver.EndReason.ENGINE_ERROR);
    }

    /**
     * Ends a task with its terminal event, frees its queue entry or slot, and dispatches the next task. Only
     * the first caller wins; returns false if the task had already ended.
     */
    private boolean finish(TaskRun run, TaskState state, TaskEvent terminal, TaskObserver.EndReason reason) {
        if (!run.log().append(terminal)) {
            return false;
        }
        Pool pool = run.pool();
        Generation g = null;
        TenantUsage u = usage(run.spec().tenantId());
        synchronized (pool) {
            if (run.queueEntry() != null) {
                pool.queue().remove(run.queueEntry());
                run.queued(null);
                u.queued.decrementAndGet();
            }
            if (pool.runningTasks().remove(run.spec().taskId().toString()) != null && run.replica() != null) {
                run.replica().release();
                g = run.generation();
                u.running.decrementAndGet();
            }
            run.ended(state, terminal instanceof TaskEvent.Failed f ? f.error() : null);
        }
        if (g != null && reason != TaskObserver.EndReason.COMPLETED) {
            g.cancel();
        }
        notifyEach(o -> o.onTerminal(run, terminal, reason));
        dispatch(pool);
        return true;
    }

    // ------------------------------------------------------------------------------------ watchdog

    private void watchdogTick() {
        long now = System.nanoTime();
        for (Pool pool : pools.values()) {
            List<TaskRun> expired = new ArrayList<>();
            long wallNs = TimeUnit.MILLISECONDS.toNanos(pool.config().watchdog().wallMs());
            long idleNs = TimeUnit.MILLISECONDS.toNanos(pool.config().watchdog().idleMs());
            synchronized (pool) {
                for (TaskRun run : pool.runningTasks().values()) {
                    if (now - run.startedNanos() > wallNs || now - run.lastTokenNanos() > idleNs) {
                        expired.add(run);
                    }
                }
            }
            for (TaskRun run : expired) {
                boolean wall = now - run.startedNanos() > wallNs;
                SluiceError err = SluiceError.of(ErrorCode.DECODE_TIMEOUT, wall
                                ? "task exceeded the pool's wall time of " + pool.config().watchdog().wallMs() + " ms"
                                : "no token for " + pool.config().watchdog().idleMs() + " ms")
                        .withEngine(pool.engine().wire(), pool.id());
                finish(run, TaskState.FAILED, new TaskEvent.Failed(err), TaskObserver.EndReason.WATCHDOG);
            }
        }
    }

    private void evictExpired() {
        long now = System.nanoTime();
        long keepNs = TimeUnit.MILLISECONDS.toNanos(retentionMs);
        runs.values().removeIf(r -> r.log().ended() && now - r.log().closedAtNanos() > keepNs);
    }

    // ------------------------------------------------------------------------------------ readiness

    /**
     * One probe of a replica (POOL-2): health and model report, engine-version agreement with its set
     * (POOL-1), then a one-token decode before it counts as Ready. Failures back off exponentially.
     */
    private void probe(Pool pool, Replica replica) {
        if (closed) {
            return;
        }
        EngineAdapter adapter = replica.adapter();
        adapter.probe().thenCompose(p -> {
            if (replica.state() == ReplicaState.READY) {
                return java.util.concurrent.CompletableFuture.completedFuture(p);
            }
            EngineProbe ref = pool.referenceProbe(replica);
            if (ref != null && (!ref.engineVersion().equals(p.engineVersion())
                    || (ref.modelDigest() != null && !ref.modelDigest().equals(p.modelDigest())))) {
                throw new ReplicaMismatch(p, "engine_version " + p.engineVersion() + " / digest " + p.modelDigest()
                        + " differs from its replica set (" + ref.engineVersion() + " / " + ref.modelDigest() + ")");
            }
            return warmupDecode(pool, adapter).thenApply(x -> p);
        }).orTimeout(WARMUP_DECODE_TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS).whenComplete((p, err) -> {
            long next;
            if (err == null) {
                boolean becameReady = replica.state() != ReplicaState.READY;
                replica.markReady(p);
                if (becameReady) {
                    LOG.infof("replica %s of pool %s is Ready: engine %s version %s, %d slots, ctx %d", replica.qualifiedId(),
                            pool.id(), pool.engine().wire(), p.engineVersion(), p.slots(), p.ctxMax());
                    dispatch(pool);
                }
                next = HEALTH_INTERVAL_MS;
            } else {
                Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
                if (cause instanceof ReplicaMismatch mm) {
                    if (replica.state() != ReplicaState.EXCLUDED) {
                        LOG.errorf("replica %s excluded from pool %s: %s", replica.qualifiedId(), pool.id(), mm.getMessage());
                    }
                    replica.markExcluded(mm.probe, mm.getMessage());
                    next = HEALTH_INTERVAL_MS * 6;
                } else {
                    boolean loading = cause instanceof EngineException ee && ee.code() == ErrorCode.POOL_UNREADY;
                    ReplicaState was = replica.state();
                    replica.markFailed(loading ? ReplicaState.LOADING : ReplicaState.DOWN, String.valueOf(cause.getMessage()));
                    if (was == ReplicaState.READY || replica.consecutiveFailures() == 1) {
                        LOG.warnf("replica %s of pool %s is %s: %s", replica.qualifiedId(), pool.id(), replica.state(), cause.getMessage());
                    }
                    next = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS << Math.min(7, replica.consecutiveFailures() - 1));
                }
            }
            if (!closed) {
                timers.schedule(() -> probe(pool, replica), next, TimeUnit.MILLISECONDS);
            }
        });
    }

    private java.util.concurrent.CompletableFuture<Void> warmupDecode(Pool pool, EngineAdapter adapter) {
        var done = new java.util.concurrent.CompletableFuture<Void>();
        GenerationRequest req = new GenerationRequest(UUID.randomUUID(), pool.model(), "ping", 1, 0, null);
        Generation g = adapter.generate(req, new GenerationListener() {
            @Override
            public void onToken(String text) {}

            @Override
            public void onEnd(long tokensOut, long decodeMs) {
                done.complete(null);
            }

            @Override
            public void onError(EngineException error) {
                done.completeExceptionally(error);
            }
        });
        return done.orTimeout(WARMUP_DECODE_TIMEOUT_MS, TimeUnit.MILLISECONDS).whenComplete((x, e) -> {
            if (e != null) {
                g.cancel();
            }
        });
    }

    private static final class ReplicaMismatch extends RuntimeException {
        final transient EngineProbe probe;

        ReplicaMismatch(EngineProbe probe, String message) {
            super(message, null, false, false);
            this.probe = probe;
        }
    }

    /** Read-only view of a pool's replicas. */
    public List<ReplicaStatus> replicaStatus(Pool pool) {
        List<ReplicaStatus> out = new ArrayList<>();
        synchronized (pool) {
            for (Replica r : pool.replicas()) {
                EngineProbe p = r.probe();
                out.add(new ReplicaStatus(r.qualifiedId(), r.adapter().endpoint(), r.state(), r.slots(), r.inFlight(),
                        p == null ? null : p.engineVersion(), p == null ? null : p.modelDigest(), r.lastError()));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------ plumbing

    private void notifyBackpressure(Pool pool, FullPolicy policy) {
        notifyEach(o -> o.onBackpressure(pool, policy));
    }

    private void notifyEach(java.util.function.Consumer<TaskObserver> call) {
        for (TaskObserver o : observers) {
            try {
                call.accept(o);
            } catch (RuntimeException e) {
                LOG.errorf(e, "task observer %s failed", o.getClass().getName());
            }
        }
    }

    /**
     * Stops probing and dispatching. Tasks still queued or running end with a retriable {@code WORKER_RESET}
     * so their streams close and their owners know to resubmit (REL-2 resolves them again on restart).
     */
    @Override
    public void close() {
        closed = true;
        timers.shutdownNow();
        for (TaskRun run : List.copyOf(runs.values())) {
            if (!run.log().ended()) {
                SluiceError err = SluiceError.of(ErrorCode.WORKER_RESET, "the platform is shutting down; resubmit the task");
                finish(run, TaskState.FAILED, new TaskEvent.Failed(err), TaskObserver.EndReason.SHUTDOWN);
            }
        }
        for (Pool p : pools.values()) {
            for (Replica r : p.replicas()) {
                r.adapter().close();
            }
        }
    }
}
