package io.sluice.core.scheduling;

import io.sluice.core.engine.Generation;
import io.sluice.core.engine.GenerationOutcome;
import io.sluice.core.error.SluiceError;
import io.sluice.core.stream.EventLog;
import io.sluice.core.stream.TaskEvent;
import io.sluice.core.task.TaskSpec;
import io.sluice.core.task.TaskState;
import java.time.Instant;

/**
 * A task the scheduler knows: its spec, its event stream and where it runs. Mutable fields are guarded by
 * the owning pool's lock, except the stream, which has its own.
 */
public final class TaskRun {
    /** Engine attempts per task: the first, and one retry on another replica before any token (REL-1). */
    static final int MAX_ATTEMPTS = 2;
    /** Tokens between two periodic {@code metrics} events. */
    static final int METRICS_EVERY_TOKENS = 32;
    /**
     * Times one task may be stopped mid-decode by hard preemption (SCH-5, ADR 0027). Once is enough to give an
     * interactive arrival the slot, and a bound keeps the task's event count bounded ({@link #maxEventId}) and stops
     * a batch task from being paused forever.
     */
    static final int MAX_HARD_PREEMPTIONS = 1;

    private final TaskSpec spec;
    private final String owner;
    private final EventLog log = new EventLog();
    private final AdmissionGate admission = new AdmissionGate();
    private final Instant createdAt;
    private final long admittedNanos;
    /**
     * The pool the task waits for or runs on. Changes only while the task waits, when a drain moves it to another pool
     * of its model ({@link DrainedQueues}), and then under the locks of both pools: a reader holding the lock of the
     * pool it read here sees it unchanged until it lets go.
     */
    private volatile Pool pool;
    private final long queuePositionAtAdmission;
    private final long predictedStartMs;
    private final java.util.List<String> replicaPreference;

    private volatile TaskState state = TaskState.QUEUED;
    private FairQueue.Entry<TaskRun> queueEntry;
    private volatile Replica replica;
    private Generation generation;
    private volatile Instant startedAt;
    private volatile Instant endedAt;
    private long startedNanos;
    private volatile long lastTokenNanos;
    private volatile long firstTokenNanos;
    private volatile long tokensOut;
    private volatile SluiceError error;
    private int attempts;
    /** The replica that served the task's session last, when affinity applies (SES-3); null otherwise. */
    private volatile String affineReplica;
    private volatile boolean kvWarm;
    private volatile RunBudget budget;
    private final java.util.Set<String> failedReplicas = new java.util.HashSet<>();
    /** How often the task was stopped mid-decode (SCH-5 hard preemption); guarded by the pool lock. */
    private int hardPreemptions;
    /** Incremented at every start on a replica: a listener of an earlier start is stale and ignored. */
    private volatile int starts;
    /** The start predicted at admission before the pool's correction, which the measured wait corrects (SCH-4). */
    private long uncorrectedStartMs;

    TaskRun(TaskSpec spec, Pool pool, long queuePosition, long predictedStartMs, Instant createdAt, java.util.List<String> replicaPreference,
            String owner) {
        this.spec = spec;
        this.owner = owner;
        this.replicaPreference = java.util.List.copyOf(replicaPreference);
        this.pool = pool;
        this.queuePositionAtAdmission = queuePosition;
        this.predictedStartMs = predictedStartMs;
        this.createdAt = createdAt;
        this.admittedNanos = System.nanoTime();
    }

    public TaskSpec spec() {
        return spec;
    }

    /** The instance that admitted and runs the task (REL-5); only it may record the task's outcome. */
    public String owner() {
        return owner;
    }

    /**
     * The largest event id a task with {@code maxTokens} can reach: {@code started}, one {@code metrics} per
     * attempt, every token, the periodic {@code metrics}, the closing {@code metrics} that reports the engine's
     * own count and stop reason, and the terminal event. When the instance running a
     * task fails, the task's terminal event is stored with this id, so that it lies after anything the lost
     * stream may have delivered and a client resuming with {@code Last-Event-ID} still receives it.
     */
    public static long maxEventId(int maxTokens) {
        // Each hard preemption adds its 'preempted' metrics event and the resumed start's metrics event.
        return 1L + MAX_ATTEMPTS + 2L * MAX_HARD_PREEMPTIONS + maxTokens + maxTokens / METRICS_EVERY_TOKENS + 1L + 1L;
    }

    public EventLog log() {
        return log;
    }

    /** Whether the task's admission record is durable yet, and what waits for it (ADR 0022). */
    public AdmissionGate admission() {
        return admission;
    }

    public TaskState state() {
        return state;
    }

    public Pool pool() {
        return pool;
    }

    /** Replica running (or last running) the task, or null while queued. */
    public Replica replica() {
        return replica;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Instant startedAt() {
        return startedAt;
    }

    public Instant endedAt() {
        return endedAt;
    }

    public long tokensOut() {
        return tokensOut;
    }

    public SluiceError error() {
        return error;
    }

    public long queuePositionAtAdmission() {
        return queuePositionAtAdmission;
    }

    public long predictedStartMs() {
        return predictedStartMs;
    }

    /** Replicas a tenant route policy allowed, in preference order; empty = any replica of the pool. */
    public java.util.List<String> replicaPreference() {
        return replicaPreference;
    }

    /** Milliseconds the task waited in the queue (until now while still queued). */
    public long queueTimeMs() {
        long end = startedNanos == 0 ? System.nanoTime() : startedNanos;
        return (end - admittedNanos) / 1_000_000;
    }

    /** Milliseconds from admission to the first token, as the client waited for it; -1 before any token (OBS-1). */
    public long firstTokenMs() {
        long first = firstTokenNanos;
        return first == 0 ? -1 : (first - admittedNanos) / 1_000_000;
    }

    /** Milliseconds since the task started decoding, or 0 while queued. */
    public long decodeTimeMs() {
        if (startedNanos == 0) {
            return 0;
        }
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    /** When the task must have ended, in epoch milliseconds: its creation plus {@code deadline_ms} (SCH-4). */
    public long deadlineAtMs() {
        return createdAt.toEpochMilli() + spec.deadlineMs();
    }

    // --- mutated by the scheduler under the pool lock ---

    long uncorrectedStartMs() {
        return uncorrectedStartMs;
    }

    void uncorrectedStartMs(long ms) {
        this.uncorrectedStartMs = ms;
    }

    FairQueue.Entry<TaskRun> queueEntry() {
        return queueEntry;
    }

    void queued(FairQueue.Entry<TaskRun> entry) {
        this.queueEntry = entry;
    }

    /** The task waits in {@code target}'s queue now (a drain moved it); under the locks of both pools. */
    void movedTo(Pool target, FairQueue.Entry<TaskRun> entry) {
        this.pool = target;
        this.queueEntry = entry;
    }

    void running(Replica r) {
        this.queueEntry = null;
        this.replica = r;
        this.kvWarm = affineReplica != null && affineReplica.equals(r.qualifiedId());
        this.state = TaskState.RUNNING;
        this.attempts++;
        this.starts++;
        if (startedNanos == 0) {
            this.startedNanos = System.nanoTime();
            this.startedAt = Instant.now();
        }
        this.lastTokenNanos = System.nanoTime();
    }

    /** The replica that served this task's session last, preferred at dispatch while Ready (SES-3); null = none. */
    public String affineReplica() {
        return affineReplica;
    }

    /** Sets the affine replica; only before the task is activated (the dispatch reads it under the pool lock). */
    public void affineReplica(String qualifiedReplicaId) {
        this.affineReplica = qualifiedReplicaId;
    }

    /** Whether the task runs on the replica that served its session last (its KV cache may be reused), SES-3. */
    public boolean kvWarm() {
        return kvWarm;
    }

    /** The session budgets this run may spend (SES-4), or null when none applies. */
    public RunBudget budget() {
        return budget;
    }

    /** Sets the run's budgets; only before the task is activated. */
    public void budget(RunBudget b) {
        this.budget = b;
    }

    void generation(Generation g) {
        this.generation = g;
    }

    Generation generation() {
        return generation;
    }

    long startedNanos() {
        return startedNanos;
    }

    long lastTokenNanos() {
        return lastTokenNanos;
    }

    void tokenArrived() {
        long now = System.nanoTime();
        lastTokenNanos = now;
        if (firstTokenNanos == 0) {
            firstTokenNanos = now;
        }
        tokensOut++;
    }

    /**
     * At the end of a run, replaces the count of token events with the engine's own count when it reports a
     * larger one: engines may pack several tokens into one frame (llama.cpp holds back incomplete UTF-8), and
     * usage and quotas must see what the engine decoded.
     */
    void settleTokensOut(long engineCount) {
        if (engineCount > tokensOut) {
            tokensOut = engineCount;
        }
    }

    private volatile GenerationOutcome engineOutcome;

    /**
     * How the engine said the generation ended (its prompt token count and stop reason), or null when it ended
     * otherwise (cancel, failure) or has not ended. Set before the terminal event is published, so a reader that
     * sees {@code end} sees the outcome too; the OpenAI facade reports {@code usage} and {@code finish_reason} from it.
     */
    public GenerationOutcome engineOutcome() {
        return engineOutcome;
    }

    void engineOutcome(GenerationOutcome outcome) {
        engineOutcome = outcome;
    }

    int attempts() {
        return attempts;
    }

    int starts() {
        return starts;
    }

    /** How often the task was stopped mid-decode and put back in its queue to resume (SCH-5 hard preemption). */
    public int hardPreemptions() {
        return hardPreemptions;
    }

    /**
     * Stops the running task for hard preemption: it waits in its queue again, its engine request is dropped and
     * the text it streamed stays in its log, from which it resumes (ADR 0027). Under the pool lock.
     */
    Generation preemptedHard() {
        Generation g = generation;
        generation = null;
        hardPreemptions++;
        state = TaskState.QUEUED;
        return g;
    }

    /** The text of every token event streamed so far, which a resumed engine request continues after. */
    String streamedText() {
        StringBuilder text = new StringBuilder();
        for (TaskEvent e : log.snapshot()) {
            if (e instanceof TaskEvent.Token t) {
                text.append(t.t());
            }
        }
        return text.toString();
    }

    java.util.Set<String> failedReplicas() {
        return failedReplicas;
    }

    void ended(TaskState terminal, SluiceError err) {
        this.state = terminal;
        this.error = err;
        this.endedAt = Instant.now();
    }

    /** The terminal event appended to this task's stream, if it ended. */
    public java.util.Optional<TaskEvent> terminalEvent() {
        return log.terminalEvent();
    }
}
