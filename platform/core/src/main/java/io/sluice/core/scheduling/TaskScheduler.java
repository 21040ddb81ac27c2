package io.sluice.core.scheduling;

import io.sluice.core.config.SluiceConfig;
import io.sluice.core.config.SluiceConfig.PoolConfig;
import io.sluice.core.config.SluiceConfig.ReplicaConfig;
import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.stream.TaskEvent;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.ToDoubleFunction;

/**
 * Assembles the data plane's scheduling parts and owns their life: the pools ({@link PoolRegistry}), placement
 * ({@link PlacementPlanner}), the queues and dispatch ({@link QueueDispatcher}), the tasks this instance holds
 * ({@link RunRegistry}), and behind them readiness probing, execution, the watchdog and termination. Every
 * enqueued task reaches exactly one terminal event (REL-1), recorded through the {@link OutcomeStore}.
 *
 * <p>Two daemon timer threads run replica probes (POOL-2), the watchdog (SCH-7) and retention eviction.
 */
public final class TaskScheduler implements AutoCloseable {
    private static final long WATCHDOG_TICK_MS = 100;

    private final PoolRegistry pools;
    private final RunRegistry runs;
    private final PlacementPlanner planner = new PlacementPlanner();
    private final Observers observers = new Observers();
    private final TaskTermination termination;
    private final ReplicaProber prober;
    private final QueueDispatcher dispatcher;
    private final Watchdog watchdog;
    private final ScheduledExecutorService timers;
    private final BiFunction<PoolConfig, ReplicaConfig, EngineAdapter> adapters;
    /** Set once probing started: from then on a pool's replicas change only through {@link #switchModel}. */
    private volatile boolean started;
    private final DispatchTrigger trigger;
    private final DrainedQueues drainedQueues;

    /**
     * @param adapters creates the adapter of one replica
     * @param tenantWeights weight of a tenant (SCH-1); read at every enqueue, so changes apply at once
     * @param retentionMs how long an ended task's stream stays replayable here (SSE-2)
     * @param outcomes where terminal outcomes become durable before their streams show them
     */
    public TaskScheduler(
            SluiceConfig config,
            BiFunction<PoolConfig, ReplicaConfig, EngineAdapter> adapters,
            ToDoubleFunction<String> tenantWeights,
            long retentionMs,
            OutcomeStore outcomes) {
        this(config, adapters, tenantWeights, retentionMs, outcomes, TenantLimits.NONE);
    }

    /** @param limits this instance's share of each tenant's concurrency quotas (SCH-3) */
    public TaskScheduler(
            SluiceConfig config,
            BiFunction<PoolConfig, ReplicaConfig, EngineAdapter> adapters,
            ToDoubleFunction<String> tenantWeights,
            long retentionMs,
            OutcomeStore outcomes,
            TenantLimits limits) {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "sluice-scheduler-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.timers = Executors.newScheduledThreadPool(2, tf);
        this.adapters = adapters;
        this.pools = new PoolRegistry(config, adapters, tenantWeights);
        this.runs = new RunRegistry(retentionMs);
        // The parts free slots and learn of Ready replicas; each such event dispatches the pool's queue.
        DispatchTrigger trigger = new DispatchTrigger(this);
        this.trigger = trigger;
        this.termination = new TaskTermination(runs, outcomes, observers, trigger::dispatch);
        this.prober = new ReplicaProber(timers, trigger::dispatch);
        RunExecutor executor = new RunExecutor(termination, observers, trigger::dispatch, prober::reprobe);
        this.dispatcher = new QueueDispatcher(runs, termination, executor, observers, limits);
        trigger.target = dispatcher;
        DrainedQueues drained = new DrainedQueues(pools, termination, trigger::dispatch);
        this.drainedQueues = drained;
        dispatcher.onDrainingQueue(drained::empty);
        this.watchdog = new Watchdog(pools, termination);
    }

    /** Late binding of the dispatcher, which is built after the parts that trigger it. */
    private static final class DispatchTrigger {
        private final TaskScheduler scheduler;
        private volatile QueueDispatcher target;

        DispatchTrigger(TaskScheduler scheduler) {
            this.scheduler = scheduler;
        }

        void dispatch(Pool pool) {
            QueueDispatcher d = target;
            if (d != null) {
                d.dispatch(pool);
                // A tenant's freed concurrency may let its tasks waiting in other pools start (SCH-3).
                if (d.takeHeldBack()) {
                    scheduler.redispatch();
                }
            }
        }
    }

    /** Dispatches every pool: after quotas changed, so tasks held back by a lowered limit start under a raised one. */
    public void redispatch() {
        for (Pool p : pools.pools()) {
            dispatcher.dispatch(p);
        }
    }

    public void addObserver(TaskObserver o) {
        observers.add(o);
    }

    /**
     * Sets the check every load must pass before a replica becomes Ready (CAT-3, {@link LoadGate}); call it before
     * {@link #start()}. Without one, every load passes.
     */
    public void loadGate(LoadGate gate) {
        prober.gate(gate);
    }

    /** Starts replica probing, the watchdog and retention eviction. */
    public synchronized void start() {
        started = true;
        prober.start(pools);
        timers.scheduleWithFixedDelay(watchdog::tick, WATCHDOG_TICK_MS, WATCHDOG_TICK_MS, TimeUnit.MILLISECONDS);
        timers.scheduleWithFixedDelay(() -> runs.evictExpired(System.nanoTime()), 1, 1, TimeUnit.SECONDS);
        timers.scheduleWithFixedDelay(() -> runs.sweepExpired(System.nanoTime()), 60, 60, TimeUnit.SECONDS);
    }

    public PoolRegistry pools() {
        return pools;
    }

    public RunRegistry runs() {
        return runs;
    }

    public PlacementPlanner planner() {
        return planner;
    }

    public QueueDispatcher dispatcher() {
        return dispatcher;
    }

    /**
     * Starts or ends a drain of {@code pool} (POOL-3): while draining, nothing is dispatched to it and admission
     * places no task on it; running tasks go on. The tasks waiting for it move to another Ready pool of their model, or
     * end {@code POOL_UNAVAILABLE} when none can take them ({@link DrainedQueues}). Ending a drain dispatches what waits.
     */
    public void draining(Pool pool, boolean draining) {
        pool.draining(draining);
        if (draining) {
            drainedQueues.empty(pool);
        } else {
            dispatcher.dispatch(pool);
        }
    }

    /** Probes every replica of {@code pool} again now (POOL-3 reload of the same model, POOL-2 readiness). */
    public void reprobe(Pool pool) {
        for (Replica r : pool.replicas()) {
            prober.reprobe(pool, r);
        }
    }

    /**
     * Switches {@code pool} to another model on the same engines (POOL-3 reload to another model). New replicas for
     * {@code model} are built on the pool's engine endpoints and made Ready — the engine answers, {@code check}
     * accepts what it reports (the catalog's digest), a one-token decode succeeds — while the current replicas go on
     * serving. Only when at least one new replica is Ready within {@code timeoutMs} does the pool switch, under its lock:
     * from then on placement sees only the new replicas and admission finds the pool under {@code model}. Tasks still
     * waiting for the pool asked for the old model; they end {@code POOL_UNAVAILABLE} (retriable). Tasks running on the
     * old replicas finish there, and the old adapters are closed once those replicas are idle. When no new replica
     * becomes Ready, nothing is switched: the new adapters are closed and the stage fails with the first cause.
     *
     * @return completes when switched, with the new replicas; fails with the cause when nothing was switched
     */
    public CompletableFuture<List<Replica>> switchModel(Pool pool, String model, LoadGate check, long timeoutMs) {
        PoolConfig next = pool.config().withModel(model);
        List<Replica> staged = new java.util.ArrayList<>();
        for (ReplicaConfig rc : next.replicas()) {
            staged.add(new Replica(rc.id(), pool.id(), adapters.apply(next, rc), rc.labels()));
        }
        List<CompletableFuture<EngineProbe>> loads = new java.util.ArrayList<>();
        for (Replica r : staged) {
            loads.add(prober.stage(pool, r, model, check).orTimeout(timeoutMs, TimeUnit.MILLISECONDS));
        }
        return CompletableFuture.allOf(loads.stream().map(f -> f.handle((p, e) -> null)).toArray(CompletableFuture[]::new))
                .thenApply(v -> {
                    if (staged.stream().noneMatch(r -> r.state() == ReplicaState.READY)) {
                        String cause = loads.stream().filter(CompletableFuture::isCompletedExceptionally).findFirst()
                                .map(TaskScheduler::failureOf).orElse("no replica became Ready");
                        staged.forEach(r -> r.adapter().close());
                        throw new java.util.concurrent.CompletionException(new IllegalStateException(cause));
                    }
                    List<Replica> before = pool.switchTo(next, staged);
                    for (Replica r : staged) {
                        prober.reprobe(pool, r);
                    }
                    endWaiting(pool, "pool " + pool.id() + " was reloaded with model " + model
                            + " before the task could start; resubmit it for the model it should run on");
                    closeWhenIdle(pool, before);
                    trigger.dispatch(pool);
                    return List.copyOf(staged);
                });
    }

    /**
     * Sets the model {@code pool} serves before probing starts (a switch an earlier reload stored, ADR 0034): its
     * replicas are rebuilt for {@code model} on the same engine endpoints, and their first load is checked and made
     * Ready like any other. Once probing runs, replicas in use must not be replaced unstaged: {@link #switchModel} does
     * that, so this refuses then.
     *
     * @throws IllegalStateException after {@link #start()}
     */
    public synchronized void serveFromStart(Pool pool, String model) {
        if (started) {
            throw new IllegalStateException("pool " + pool.id() + " is probed already; switch its model with switchModel");
        }
        PoolConfig next = pool.config().withModel(model);
        List<Replica> rebuilt = new java.util.ArrayList<>();
        for (ReplicaConfig rc : next.replicas()) {
            rebuilt.add(new Replica(rc.id(), pool.id(), adapters.apply(next, rc), rc.labels()));
        }
        pool.switchTo(next, rebuilt).forEach(r -> r.adapter().close());
    }

    private static String failureOf(CompletableFuture<?> f) {
        try {
            f.join();
            return "no replica became Ready";
        } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            return c instanceof java.util.concurrent.TimeoutException ? "no replica became Ready in time" : String.valueOf(c.getMessage());
        }
    }

    /** Ends the tasks still waiting for {@code pool} (not yet running on an engine) with a retriable POOL_UNAVAILABLE. */
    private void endWaiting(Pool pool, String message) {
        for (TaskRun run : runs.unfinished()) {
            if (run.pool() != pool || run.state() == io.sluice.core.task.TaskState.RUNNING) {
                continue;
            }
            SluiceError err = SluiceError.of(ErrorCode.POOL_UNAVAILABLE, message).withEngine(pool.engine().wire(), pool.id());
            termination.finish(run, new TaskEvent.Failed(err), TaskObserver.EndReason.DRAINED);
        }
    }

    /** Closes the adapters of replicas a reload replaced, once none of them runs a task any more. */
    private void closeWhenIdle(Pool pool, List<Replica> replaced) {
        java.util.concurrent.atomic.AtomicReference<java.util.concurrent.ScheduledFuture<?>> self = new java.util.concurrent.atomic.AtomicReference<>();
        self.set(timers.scheduleWithFixedDelay(() -> {
            boolean idle;
            synchronized (pool) {
                idle = replaced.stream().allMatch(r -> r.inFlight() == 0);
            }
            if (idle) {
                replaced.forEach(r -> r.adapter().close());
                java.util.concurrent.ScheduledFuture<?> f = self.get();
                if (f != null) {
                    f.cancel(false);
                }
            }
        }, 0, 1, TimeUnit.SECONDS));
    }

    /**
     * A drain's deadline passed (POOL-3): tasks still running on {@code pool} here end {@code CANCELED}, tasks still
     * waiting for it end {@code POOL_UNAVAILABLE}; each engine request is aborted.
     *
     * @return how many tasks were ended
     */
    public int endDrainedTasks(Pool pool) {
        int ended = 0;
        for (TaskRun run : runs.unfinished()) {
            if (run.pool() != pool) {
                continue;
            }
            boolean running = run.state() == io.sluice.core.task.TaskState.RUNNING;
            SluiceError err = SluiceError.of(running ? ErrorCode.CANCELED : ErrorCode.POOL_UNAVAILABLE, running
                            ? "pool " + pool.id() + " was drained and its deadline passed"
                            : "pool " + pool.id() + " was drained before the task could start")
                    .withEngine(pool.engine().wire(), pool.id());
            if (termination.finish(run, new TaskEvent.Failed(err), TaskObserver.EndReason.DRAINED)) {
                ended++;
            }
        }
        return ended;
    }

    /**
     * Ends every task this instance still runs with a retriable {@code WORKER_RESET}, so that their streams
     * close and their owners know to resubmit — on shutdown, or when this instance lost its lease and another
     * one may have resolved its tasks already (the stored outcome then wins).
     */
    public void endAll(String message, TaskObserver.EndReason reason) {
        for (TaskRun run : runs.unfinished()) {
            SluiceError err = SluiceError.of(ErrorCode.WORKER_RESET, message)
                    .withEngine(run.pool().engine().wire(), run.pool().id());
            termination.finish(run, new TaskEvent.Failed(err), reason);
        }
    }

    /** Stops probing and dispatching, ends what still runs, and closes the engine adapters. */
    @Override
    public void close() {
        prober.close();
        dispatcher.close();
        timers.shutdownNow();
        endAll("the platform is shutting down; resubmit the task", TaskObserver.EndReason.SHUTDOWN);
        pools.closeAdapters();
    }
}
