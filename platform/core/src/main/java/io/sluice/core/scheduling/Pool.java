package io.sluice.core.scheduling;

import io.sluice.core.config.DeviceMask;
import io.sluice.core.config.SluiceConfig.PoolConfig;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.task.EngineKind;
import io.sluice.core.task.Priority;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * A pool: one model on a device mask served by replicas of one engine (SPEC POOL-1), with its bounded fair
 * queue (ADM-4, SCH-1). Every mutable field is guarded by {@code this} (the pool lock).
 */
public final class Pool {
    /** The model and its replicas: replaced together, under the pool lock, when a reload switches the model (POOL-3). */
    private volatile PoolConfig config;
    private volatile List<Replica> replicas;
    private final FairQueue<TaskRun> queue;
    private final Map<String, TaskRun> running = new HashMap<>();
    /**
     * Tokens the running tasks still expect to decode, for predictions (SCH-4). Summed over every running task at
     * most every {@link #RUNNING_LEFT_REFRESH_NANOS}, and adjusted as tasks start and stop in between: with 1,000
     * running tasks, a sum on every admission cost 8.7 % of the app's CPU. Between sums it lags the tokens decoded
     * since, which a prediction of seconds does not feel. Guarded by the pool lock.
     */
    private long runningLeft;
    private long runningLeftSummedAtNanos = System.nanoTime() - 2 * RUNNING_LEFT_REFRESH_NANOS;
    static final long RUNNING_LEFT_REFRESH_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(50);
    /** Places reserved by admissions whose durable record is still being written (ADM-4 capacity). */
    private final java.util.EnumMap<Priority, Integer> reserved = new java.util.EnumMap<>(Priority.class);
    private final ServiceEstimator estimator = new ServiceEstimator();
    private volatile boolean draining;
    /** The GPUs the pool's engines may run on; a reload to another model keeps them (SCH-6). */
    private final DeviceMask deviceMask;

    Pool(PoolConfig config, List<Replica> replicas, ToDoubleFunction<FairQueue.FlowKey> weights) {
        this.config = config;
        this.deviceMask = DeviceMask.parse(config.deviceMask());
        this.replicas = List.copyOf(replicas);
        this.queue = new FairQueue<>(weights, run -> expectedTokens(run.spec()));
    }

    public String id() {
        return config.id();
    }

    public String model() {
        return config.model();
    }

    public EngineKind engine() {
        return config.engine();
    }

    public PoolConfig config() {
        return config;
    }

    public DeviceMask deviceMask() {
        return deviceMask;
    }

    public List<Replica> replicas() {
        return replicas;
    }

    public ServiceEstimator estimator() {
        return estimator;
    }

    public boolean draining() {
        return draining;
    }

    void draining(boolean d) {
        this.draining = d;
    }

    /** Context limit: the configured one, else the smallest a Ready replica reports, else null. */
    public Integer ctxMax() {
        if (config.ctxMax() != null) {
            return config.ctxMax();
        }
        return replicas.stream()
                .filter(r -> r.state() == ReplicaState.READY && r.probe() != null)
                .map(r -> r.probe().ctxMax())
                .filter(c -> c > 0)
                .min(Integer::compare)
                .orElse(null);
    }

    public boolean ready() {
        return !draining && replicas.stream().anyMatch(r -> r.state() == ReplicaState.READY);
    }

    /** Whether some replica may still become ready on its own (POOL_UNREADY rather than POOL_UNAVAILABLE). */
    public boolean warmingUp() {
        return replicas.stream().anyMatch(r -> r.state().warmingUp());
    }

    public synchronized int queueDepth() {
        return queue.size();
    }

    public synchronized int queueDepth(Priority p) {
        return queue.size(p);
    }

    public synchronized int runningCount() {
        return running.size();
    }

    public synchronized int readySlots() {
        return replicas.stream().filter(r -> r.state() == ReplicaState.READY).mapToInt(Replica::slots).sum();
    }

    public synchronized int freeSlots() {
        return replicas.stream().mapToInt(Replica::freeSlots).sum();
    }

    /** Load used to pick among pools serving the same model: waiting plus running per ready slot. */
    synchronized double load() {
        int slots = readySlots();
        return slots == 0 ? Double.MAX_VALUE : (double) (queue.size() + running.size()) / slots;
    }

    /** Completions a pool measures before it refuses tasks on its predictions (SCH-4). */
    static final int MEASURED_SAMPLES = 3;

    /** The tokens a task is expected to generate: the client's estimate when it gave one, else its max_tokens. */
    static long expectedTokens(io.sluice.core.task.TaskSpec spec) {
        return spec.expectedTokens() != null ? Math.min(spec.expectedTokens(), spec.maxTokens()) : spec.maxTokens();
    }

    /**
     * Predicts start and completion of {@code spec} arriving now (SCH-4, ADR 0015, ADR 0029): the tokens still to
     * decode ahead of it — what runs, and what fair queuing dispatches before it from every waiting flow
     * ({@link FairQueue#workAhead}) — at the measured rate over the ready slots, then corrected by the measured error of
     * earlier predictions.
     */
    public synchronized Prediction predict(io.sluice.core.task.TaskSpec spec) {
        int ready = readySlots();
        int free = freeSlots();
        double msPerToken = estimator.msPerToken();
        long own = expectedTokens(spec);
        if (msPerToken <= 0 || ready == 0) {
            long start = estimator.predictStartMs(queue.size(), ready, free);
            long taskMs = (long) estimator.taskMs();
            return new Prediction(start, start + taskMs, taskMs, start, false, start + taskMs);
        }
        Priority mine = spec.priority();
        // The work fair queuing dispatches before this task if the flows waiting now stay backlogged (ADR 0029).
        FairQueue.FlowKey flow = new FairQueue.FlowKey(spec.tenantId(), mine);
        long runningLeft = runningLeft();
        boolean waits = queue.size() >= free;
        long uncorrected = waits ? (long) Math.ceil((runningLeft + queue.workAhead(flow, true)) * msPerToken / ready) : 0;
        long start = (long) Math.ceil(uncorrected * estimator.waitCorrection(mine));
        long idle = (long) Math.ceil(own * msPerToken);
        // Refusals rely on what already waits: a forecast of later arrivals must not refuse work that may well fit.
        long waitingOnlyStart = waits ? (long) Math.ceil((runningLeft + queue.workAhead(flow, false)) * msPerToken / ready) : 0;
        return new Prediction(start, start + idle, idle, uncorrected, estimator.samples() >= MEASURED_SAMPLES,
                waitingOnlyStart + idle);
    }

    // --- under the pool lock ---

    int reserved(Priority p) {
        return reserved.getOrDefault(p, 0);
    }

    void reserve(Priority p) {
        reserved.merge(p, 1, Integer::sum);
    }

    void unreserve(Priority p) {
        reserved.computeIfPresent(p, (k, v) -> v <= 1 ? null : v - 1);
    }

    /** Waiting plus reserved places of a priority, what its queue capacity bounds. */
    int occupied(Priority p) {
        return queue.size(p) + reserved(p);
    }

    FairQueue<TaskRun> queue() {
        return queue;
    }

    /** The running tasks, to read; {@link #startRunning} and {@link #stopRunning} change them. */
    Map<String, TaskRun> runningTasks() {
        return java.util.Collections.unmodifiableMap(running);
    }

    void startRunning(TaskRun run) {
        if (running.put(run.spec().taskId().toString(), run) == null) {
            runningLeft += tokensLeft(run);
        }
    }

    /** Removes a running task; null when it was not running here. */
    TaskRun stopRunning(TaskRun run) {
        TaskRun removed = running.remove(run.spec().taskId().toString());
        if (removed != null) {
            runningLeft = Math.max(0, runningLeft - tokensLeft(removed));
        }
        return removed;
    }

    private long runningLeft() {
        long now = System.nanoTime();
        if (now - runningLeftSummedAtNanos > RUNNING_LEFT_REFRESH_NANOS) {
            long sum = 0;
            for (TaskRun r : running.values()) {
                sum += tokensLeft(r);
            }
            runningLeft = sum;
            runningLeftSummedAtNanos = now;
        }
        return runningLeft;
    }

    private static long tokensLeft(TaskRun r) {
        return Math.max(0, expectedTokens(r.spec()) - r.tokensOut());
    }

    /**
     * Least-loaded Ready replica with a free slot (SCH-6): most free slots first, then fewest in flight,
     * ties broken by replica id so placement is deterministic. Replicas in {@code exclude} are skipped. When
     * {@code preference} is non-empty (a tenant route policy narrowed and ordered the candidates), only those
     * replicas qualify and the first free one in that order wins.
     */
    Optional<Replica> place(java.util.Set<String> exclude, List<String> preference) {
        return place(exclude, preference, null);
    }

    /**
     * As {@link #place(java.util.Set, List)}, but without a route preference the {@code affine} replica (the one that
     * served the task's session last, SES-3) wins while it is Ready with a free slot.
     */
    Optional<Replica> place(java.util.Set<String> exclude, List<String> preference, String affine) {
        if (preference.isEmpty() && affine != null) {
            for (Replica r : replicas) {
                if (r.qualifiedId().equals(affine) && r.freeSlots() > 0 && !exclude.contains(r.id())) {
                    return Optional.of(r);
                }
            }
        }
        if (!preference.isEmpty()) {
            for (String qualified : preference) {
                for (Replica r : replicas) {
                    if (r.qualifiedId().equals(qualified) && r.freeSlots() > 0 && !exclude.contains(r.id())) {
                        return Optional.of(r);
                    }
                }
            }
            return Optional.empty();
        }
        List<Replica> candidates = new ArrayList<>();
        for (Replica r : replicas) {
            if (r.freeSlots() > 0 && !exclude.contains(r.id())) {
                candidates.add(r);
            }
        }
        return candidates.stream()
                .min(Comparator.comparingInt((Replica r) -> -r.freeSlots())
                        .thenComparingInt(Replica::inFlight)
                        .thenComparing(Replica::id));
    }

    /**
     * Switches the pool to another model served by {@code next} (POOL-3 reload): from this moment placement sees only
     * the new replicas and admission finds the pool under the new model. Tasks running on the old replicas go on.
     *
     * @return the replicas that served before
     */
    synchronized List<Replica> switchTo(PoolConfig nextConfig, List<Replica> next) {
        List<Replica> before = replicas;
        this.config = nextConfig;
        this.replicas = List.copyOf(next);
        return before;
    }

    /**
     * Whether a Ready replica other than {@code replica} serves the artifact {@code p} reports: the pool has loaded it
     * already, and it passed the load check then (CAT-3).
     */
    synchronized boolean servedByAnother(Replica replica, EngineProbe p) {
        for (Replica r : replicas) {
            if (r != replica && r.state() == ReplicaState.READY && r.probe() != null
                    && java.util.Objects.equals(r.probe().modelDigest(), p.modelDigest())) {
                return true;
            }
        }
        return false;
    }

    /** Whether any replica named in {@code preference} (or any at all, when empty) is Ready. */
    boolean anyReady(List<String> preference) {
        return replicas.stream()
                .filter(r -> preference.isEmpty() || preference.contains(r.qualifiedId()))
                .anyMatch(r -> r.state() == ReplicaState.READY);
    }

    /**
     * Records a replica's probe answer and returns the build the pool's replicas agree on after it (POOL-1, ADR 0018).
     * A Ready replica that the new answer leaves outside the agreement (the reporting one included, when its engine
     * was restarted with another build) is excluded in the same step, under the pool lock, so that replicas of two
     * builds are never Ready together; those are returned for the caller to log.
     */
    synchronized Agreement report(Replica replica, EngineProbe p) {
        replica.report(p);
        EngineAgreement.Build agreed = EngineAgreement.agreed(replicas);
        List<Replica> excluded = new ArrayList<>();
        List<Replica> agreeingAgain = new ArrayList<>();
        for (Replica r : replicas) {
            if (r.reported() == null) {
                continue;
            }
            boolean agrees = EngineAgreement.matches(agreed, r.reported());
            if (r.state() == ReplicaState.READY && !agrees) {
                r.markExcluded(r.reported(), mismatch(r.reported(), agreed));
                excluded.add(r);
            } else if (r != replica && r.state() == ReplicaState.EXCLUDED && agrees) {
                agreeingAgain.add(r);
            }
        }
        return new Agreement(agreed, excluded, agreeingAgain);
    }

    /**
     * Marks a replica Ready unless the agreement moved away from its build while it warmed up (another replica's
     * answer came in meanwhile); false then, and the replica stays as it was.
     */
    synchronized boolean markReadyIfAgreed(Replica replica, EngineProbe p) {
        if (!EngineAgreement.matches(EngineAgreement.agreed(replicas), p)) {
            return false;
        }
        replica.markReady(p);
        return true;
    }

    /** The reason a replica reporting {@code p} is not in the pool's replica set, for logs and the API. */
    static String mismatch(EngineProbe p, EngineAgreement.Build agreed) {
        return "reports " + EngineAgreement.Build.of(p) + " but its replica set serves " + agreed
                + " (most replicas report it); excluded from placement until it reports the same build";
    }

    /**
     * {@link #report}'s answer: the agreed build, the replicas it just excluded, and excluded replicas whose build the
     * agreement moved to (to probe again now rather than at their next slow re-check).
     */
    record Agreement(EngineAgreement.Build agreed, List<Replica> excluded, List<Replica> agreeingAgain) {}
}
