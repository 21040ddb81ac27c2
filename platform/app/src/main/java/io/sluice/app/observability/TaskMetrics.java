package io.sluice.app.observability;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.core.config.FullPolicy;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.scheduling.Pool;
import io.sluice.core.scheduling.Replica;
import io.sluice.core.scheduling.ReplicaState;
import io.sluice.core.scheduling.TaskObserver;
import io.sluice.core.scheduling.TaskRun;
import io.sluice.core.scheduling.TaskScheduler;
import io.sluice.core.stream.TaskEvent;
import io.sluice.core.task.EngineKind;
import io.sluice.core.task.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The task metrics of OBS-1 (names, types and labels in {@code metrics-contract.yaml}, ADR 0014), recorded where the
 * scheduler reports its events. Every meter is resolved once per pool (or per tenant label) and kept: an event costs a
 * map lookup by pool and an increment, never a tag build. Counters of a pool exist at zero from start-up, so a
 * dashboard sees every series before the first event.
 */
@ApplicationScoped
public class TaskMetrics implements TaskObserver {
    /** Histogram buckets of the latency summaries, in milliseconds. */
    private static final double[] LATENCY_BUCKETS_MS = {5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000};
    private static final Priority[] PRIORITIES = Priority.values();
    private static final EndReason[] REASONS = EndReason.values();

    @Inject
    MeterRegistry registry;

    @Inject
    SluiceAppConfig config;

    private final Map<Pool, PoolMeters> pools = new ConcurrentHashMap<>();
    private final Map<ErrorCode, Counter> rejected = new EnumMap<>(ErrorCode.class);
    private final Map<EngineKind, Counter[]> preemptions = new EnumMap<>(EngineKind.class);
    private final Map<EngineKind, Counter> resumptions = new EnumMap<>(EngineKind.class);
    private volatile TenantLabels tenants;
    private volatile AdmissionShares shares;
    private volatile DeadlineRatios deadlines;

    /** Registers every fixed series at zero and the pool gauges; runs before the scheduler takes traffic. */
    void register(@Observes @jakarta.annotation.Priority(50) StartupEvent ev, TaskScheduler scheduler) {
        tenants = new TenantLabels(config.observability().tenantLabelLimit());
        shares = new AdmissionShares(registry);
        deadlines = new DeadlineRatios(registry);
        for (ErrorCode code : ErrorCode.values()) {
            if (!code.streamOnly() && code.httpStatus() >= 400 && code != ErrorCode.UNAUTHENTICATED && code != ErrorCode.FORBIDDEN) {
                rejected.put(code, Counter.builder("tasks_rejected").description("Task submissions refused, by error code")
                        .tag("reason", lower(code.name())).register(registry));
            }
        }
        for (EngineKind engine : EngineKind.values()) {
            // Soft preemption (SCH-5) counts at the end of the evicted task, hard preemption and resumption as they happen.
            preemptions.put(engine, new Counter[] {
                Counter.builder("preemptions").description("Tasks preempted, by mode and engine").tag("mode", "soft")
                        .tag("engine", engine.wire()).register(registry),
                Counter.builder("preemptions").description("Tasks preempted, by mode and engine").tag("mode", "hard")
                        .tag("engine", engine.wire()).register(registry)});
            resumptions.put(engine, Counter.builder("resumptions").description("Preempted tasks resumed, by engine")
                    .tag("engine", engine.wire()).register(registry));
        }
        for (Pool pool : scheduler.pools().pools()) {
            meters(pool);
        }
    }

    // ------------------------------------------------------------------------------------------ events

    @Override
    public void onEnqueued(TaskRun run) {
        meters(run.pool()).enqueued[run.spec().priority().ordinal()].increment();
    }

    @Override
    public void onStarted(TaskRun run) {
        meters(run.pool()).started[run.spec().priority().ordinal()].increment();
        AdmissionShares s = shares;
        if (s != null) {
            s.dispatched(tenants.of(run.spec().tenantId()), run.spec().priority());
        }
    }

    @Override
    public void onTerminal(TaskRun run, TaskEvent terminal, EndReason reason) {
        PoolMeters m = meters(run.pool());
        m.ended[reason.ordinal()].increment();
        if (reason == EndReason.PREEMPTED && run.hardPreemptions() == 0) {
            // A task stopped by hard preemption was counted when it was stopped; ending it later is not another one.
            preempted(false, run.pool().engine());
        }
        long ttft = run.firstTokenMs();
        if (ttft >= 0) {
            m.firstToken[run.spec().priority().ordinal()].record(ttft);
        }
        if (terminal instanceof TaskEvent.End end) {
            m.decode.record(end.decodeMs());
        }
        m.tokens(tenants.of(run.spec().tenantId())).record(run.spec().estimatedPromptTokens(), run.tokensOut());
        DeadlineRatios d = deadlines;
        if (d != null && run.spec().deadlineMs() > 0 && reason != EndReason.CLIENT_CANCEL) {
            long tookMs = run.endedAt() == null ? Long.MAX_VALUE : run.endedAt().toEpochMilli() - run.createdAt().toEpochMilli();
            d.ended(run.spec().priority(), reason == EndReason.COMPLETED && tookMs <= run.spec().deadlineMs());
        }
    }

    @Override
    public void onBackpressure(Pool pool, FullPolicy policy) {
        meters(pool).backpressure[policy.ordinal()].increment();
    }

    /** A refused submission (ADM-2 … ADM-8, SCH-3): counted by its error code. */
    public void rejected(ErrorCode code) {
        Counter c = rejected.get(code);
        if (c != null) {
            c.increment();
        }
    }

    @Override
    public void onHardPreempted(TaskRun run) {
        preempted(true, run.pool().engine());
    }

    @Override
    public void onResumed(TaskRun run) {
        resumed(run.pool().engine());
    }

    /** A preemption (SCH-5): {@code hard} pauses a running task to resume it, {@code soft} evicts a queued one. */
    public void preempted(boolean hard, EngineKind engine) {
        preemptions.get(engine)[hard ? 1 : 0].increment();
    }

    public void resumed(EngineKind engine) {
        resumptions.get(engine).increment();
    }

    // ------------------------------------------------------------------------------------------ meters

    private PoolMeters meters(Pool pool) {
        PoolMeters m = pools.get(pool);
        return m != null ? m : pools.computeIfAbsent(pool, this::newPoolMeters);
    }

    private PoolMeters newPoolMeters(Pool pool) {
        return new PoolMeters(registry, pool);
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** The meters of one pool, resolved once. */
    private static final class PoolMeters {
        final MeterRegistry registry;
        final String poolId;
        final String engine;
        final Counter[] enqueued = new Counter[PRIORITIES.length];
        final Counter[] started = new Counter[PRIORITIES.length];
        final DistributionSummary[] firstToken = new DistributionSummary[PRIORITIES.length];
        final Counter[] ended = new Counter[REASONS.length];
        final Counter[] backpressure = new Counter[FullPolicy.values().length];
        final DistributionSummary decode;
        final Map<String, TokenCounters> tokensByTenant = new ConcurrentHashMap<>();

        PoolMeters(MeterRegistry registry, Pool pool) {
            this.registry = registry;
            this.poolId = pool.id();
            this.engine = pool.engine().wire();
            for (Priority p : PRIORITIES) {
                int i = p.ordinal();
                enqueued[i] = Counter.builder("tasks_enqueued").description("Tasks that entered a pool's queue")
                        .tags("pool_id", poolId, "engine", engine, "priority", p.wire()).register(registry);
                started[i] = Counter.builder("tasks_started").description("Tasks placed on a replica and sent to its engine")
                        .tags("pool_id", poolId, "engine", engine, "priority", p.wire()).register(registry);
                firstToken[i] = DistributionSummary.builder("latency_first_token_ms")
                        .description("Milliseconds from admission to the task's first token")
                        .tags("pool_id", poolId, "engine", engine, "priority", p.wire())
                        .serviceLevelObjectives(LATENCY_BUCKETS_MS).register(registry);
                Gauge.builder("queue_depth", pool, q -> q.queueDepth(p)).description("Tasks waiting in a pool's queue")
                        .tags("pool_id", poolId, "engine", engine, "priority", p.wire()).register(registry);
            }
            for (EndReason r : REASONS) {
                String name = r == EndReason.COMPLETED ? "tasks_completed" : r == EndReason.ENGINE_ERROR ? "tasks_failed" : "tasks_canceled";
                Counter.Builder b = Counter.builder(name).tags("pool_id", poolId, "engine", engine);
                if (name.equals("tasks_canceled")) {
                    b.description("Tasks ended before completion by something other than an engine error, by reason")
                            .tag("reason", canceledReason(r));
                } else {
                    b.description(name.equals("tasks_completed") ? "Tasks that ended with their end event" : "Tasks ended by an engine error");
                }
                ended[r.ordinal()] = b.register(registry);
            }
            for (FullPolicy f : FullPolicy.values()) {
                backpressure[f.ordinal()] = Counter.builder("admission_backpressure_events")
                        .description("Times a full queue answered with its backpressure policy")
                        .tags("pool_id", poolId, "engine", engine, "policy", f.label()).register(registry);
            }
            decode = DistributionSummary.builder("latency_decode_ms").description("Milliseconds from a task's start to its end event")
                    .tags("pool_id", poolId, "engine", engine).serviceLevelObjectives(LATENCY_BUCKETS_MS).register(registry);
            Gauge.builder("pool_ready", pool, q -> q.ready() ? 1 : 0).description("1 when the pool has a Ready replica")
                    .tags("pool_id", poolId, "engine", engine).register(registry);
            for (ReplicaState s : ReplicaState.values()) {
                Gauge.builder("pool_replicas", pool, q -> countIn(q, s)).description("Replicas of a pool, by state")
                        .tags("pool_id", poolId, "engine", engine, "state", lower(s.name())).register(registry);
            }
        }

        TokenCounters tokens(String tenantLabel) {
            TokenCounters t = tokensByTenant.get(tenantLabel);
            return t != null ? t : tokensByTenant.computeIfAbsent(tenantLabel, l -> new TokenCounters(
                    Counter.builder("tokens_in").description("Prompt tokens of ended tasks (estimated at admission)")
                            .tags("pool_id", poolId, "engine", engine, "tenant", l).register(registry),
                    Counter.builder("tokens_out").description("Tokens decoded for ended tasks")
                            .tags("pool_id", poolId, "engine", engine, "tenant", l).register(registry)));
        }

        private static double countIn(Pool pool, ReplicaState state) {
            int n = 0;
            for (Replica r : pool.replicas()) {
                if (r.state() == state) {
                    n++;
                }
            }
            return n;
        }

        private static String canceledReason(EndReason r) {
            return r == EndReason.CLIENT_CANCEL ? "client" : lower(r.name());
        }
    }

    private record TokenCounters(Counter in, Counter out) {
        void record(long tokensIn, long tokensOut) {
            in.increment(tokensIn);
            out.increment(tokensOut);
        }
    }
}
