package io.sluice.app.tasks;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.sluice.app.catalog.CatalogRuntime;
import io.sluice.app.cluster.InstanceLease;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.app.http.ErrorBody;
import io.sluice.app.policy.PolicyRuntime;
import io.sluice.app.sessions.SessionAffinity;
import io.sluice.app.sessions.SessionBudgets;
import io.sluice.app.sessions.SessionFigures;
import io.sluice.app.tenancy.TenantDirectory;
import io.sluice.app.tasks.TaskDtos.TaskAccepted;
import io.sluice.app.tasks.TaskDtos.TaskStatus;
import io.sluice.app.tasks.store.AdmissionRecord;
import io.sluice.app.tasks.store.AdmissionResult;
import io.sluice.app.tasks.store.StoredTask;
import io.sluice.app.tasks.store.TaskJournal;
import io.sluice.core.admission.AdmissionPipeline;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.scheduling.Pool;
import io.sluice.core.scheduling.TaskRun;
import io.sluice.core.scheduling.TaskScheduler;
import io.sluice.core.task.TaskRequest;
import io.sluice.core.task.TaskSpec;
import io.sluice.core.task.TaskState;
import io.sluice.core.task.TaskValidator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The task operations behind the REST resource (ADR 0008): admission (ADM-2) with idempotent re-posts (ADM-1), the
 * durable record before the task is acknowledged or visible (REL-2), status and cancel (SSE-3). Tenant isolation (SEC-3): a task of
 * another tenant is simply not found.
 *
 * <p>Admission runs once, straight through: validate → admission pipeline on a snapshot (on the calling event loop
 * when no tenant policy takes part, else on a worker) → reserve a queue place → one batched write of the task and
 * its session turn → activate → 202. Where the write cannot change the placement, the task is queued and started
 * while the write commits (ADR 0022), and becomes visible when it has. A failed write gives the place back (and
 * aborts an early start) and answers a typed 503; nothing partial is stored. The happy path reads nothing from the
 * database: a re-post is recognised by the write itself.
 */
@ApplicationScoped
public class TaskService {
    /** Canonical form for fingerprints: sorted keys, no nulls, no whitespace. */
    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    @Inject
    TaskScheduler scheduler;

    @Inject
    AdmissionPipeline pipeline;

    @Inject
    TaskJournal journal;

    @Inject
    InstanceLease lease;

    @Inject
    PolicyRuntime policies;

    @Inject
    SessionBudgets budgets;

    @Inject
    CatalogRuntime catalog;

    @Inject
    SessionAffinity affinity;

    @Inject
    TenantDirectory tenants;

    @Inject
    SluiceAppConfig config;

    /**
     * What admission answered, and whether it was a re-post of a recorded task.
     *
     * @param session the session's budgets left after this admission (SES-4); null for a re-post
     */
    public record Submitted(TaskAccepted accepted, boolean replay, SessionFigures session) {
        public Submitted(TaskAccepted accepted, boolean replay) {
            this(accepted, replay, null);
        }
    }

    public CompletionStage<Submitted> submit(TaskRequest body, String tenantId) {
        // A disabled tenant is refused at authenticate, before its body is looked at (ADM-2).
        tenants.requireEnabled(tenantId);
        // validate next: cheap, and a bad body never touches the database
        TaskSpec checked = TaskValidator.validate(body, tenantId);
        // A request that does not say whether a disconnect cancels it takes its tenant's setting (SSE-3).
        TaskSpec validated = body.cancelOnDisconnect() == null && tenants.cancelsOnDisconnect(tenantId)
                ? checked.withCancelOnDisconnect(true)
                : checked;
        String requestJson = canonical(body);
        String fingerprint = sha256(requestJson);
        if (scheduler.runs().find(validated.taskId()).isPresent()) {
            return replayOrConflict(validated.taskId(), tenantId, fingerprint, null);
        }
        lease.requireValid();
        CompletionStage<AdmissionPipeline.Admitted> admitted;
        if (policies.decidesAdmission(tenantId)) {
            // A tenant policy may run for milliseconds: keep it off the event loop.
            // Resolving the model through the catalog reads memory only (LIFE-2, LIFE-3); it runs before the policy (ADM-2).
            admitted = CompletableFuture.supplyAsync(() -> pipeline.evaluate(catalog.resolve(validated), policies.tenantSnapshot(tenantId)),
                    Infrastructure.getDefaultWorkerPool());
        } else {
            admitted = completedOrFailed(() -> pipeline.evaluate(catalog.resolve(validated), policies.tenantSnapshot(tenantId)));
        }
        SessionBudgets.Limits limits = budgets.limitsFor(body);
        return admitted
                .thenCompose(a -> enqueue(a, requestJson, fingerprint, limits))
                .exceptionallyCompose(e -> {
                    // A refusal may be the answer to a re-post of a task admitted earlier, whose answer must not change.
                    SluiceException refusal = asSluice(e);
                    if (refusal == null || refusal.error().code() == ErrorCode.DEPENDENCY_UNAVAILABLE) {
                        return CompletableFuture.failedFuture(unwrap(e));
                    }
                    return replayOrConflict(validated.taskId(), tenantId, fingerprint, refusal);
                });
    }

    private CompletionStage<Submitted> enqueue(AdmissionPipeline.Admitted admitted, String requestJson, String fingerprint,
            SessionBudgets.Limits limits) {
        TaskSpec spec = admitted.spec();
        Pool pool = admitted.placement().pool();
        long backoff = backoff(admitted);
        // Stored with microsecond precision, as PostgreSQL keeps it: live and stored answers agree.
        Instant createdAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
        TaskRun run;
        try {
            run = scheduler.dispatcher().reserve(spec, admitted.placement(), createdAt, lease.id());
        } catch (RuntimeException refused) {
            // No place (a full queue or the tenant's concurrency share): not admitted, so nothing of the rate is spent.
            pipeline.notAdmitted(admitted);
            throw refused;
        }
        SluiceError.PolicyRef policy = admitted.policy();
        AdmissionRecord record = new AdmissionRecord(spec.taskId(), spec.sessionId(), spec.tenantId(), fingerprint, requestJson,
                spec.workload().wire(), spec.modelRef(), pool.engine().wire(), spec.priority().wire(), pool.id(),
                (int) Math.min(Integer.MAX_VALUE, run.queuePositionAtAdmission()), run.predictedStartMs(), backoff,
                OffsetDateTime.ofInstant(createdAt, ZoneOffset.UTC), policy == null ? null : policy.name(),
                policy == null ? null : policy.version(), policy == null ? null : policy.digest(), admitted.policyDecision(),
                lease.id(), TaskRun.maxEventId(spec.maxTokens()), limits.tokens(), limits.timeMs(), limits.cost(), spec.maxTokens());
        boolean early = startsBeforeRecorded(run);
        if (early) {
            scheduler.dispatcher().startBeforeRecorded(run);
        }
        return journal.admit(record).handle((result, err) -> {
            if (err != null) {
                release(run, early);
                pipeline.notAdmitted(admitted);
                throw new CompletionException(unwrap(err));
            }
            if (result instanceof AdmissionResult.Recorded recorded) {
                SessionFigures session = recorded.session();
                // Set before the run's held events are released: the first token is checked against it (SES-4).
                run.budget(budgets.runBudget(session));
                affineToStoredReplica(run, session);
                if (early) {
                    scheduler.dispatcher().recorded(run);
                } else {
                    scheduler.dispatcher().activate(run);
                }
                return CompletableFuture.completedFuture(new Submitted(
                        new TaskAccepted(spec.taskId().toString(), run.queuePositionAtAdmission(), run.predictedStartMs(), backoff), false,
                        session));
            }
            release(run, early);
            // A re-post of a task recorded earlier (held by another instance, or ended and no longer in memory) or a
            // session's refusal: the stored answer stands, and this attempt spends none of the tenant's quota.
            pipeline.notAdmitted(admitted);
            if (result instanceof AdmissionResult.AlreadyRecorded already) {
                return CompletableFuture.completedFuture(replay(already.existing(), spec.tenantId(), fingerprint));
            }
            throw new SluiceException(((AdmissionResult.SessionRefused) result).error());
        }).thenCompose(s -> s);
    }

    /**
     * Whether the task may start while its record commits (ADR 0022): only where the commit's answer cannot change
     * where it runs. The commit reads the session's stored last replica, which placement prefers (SES-3) when this
     * instance knows none; that cannot matter when placement already knows one, the task asks for a cold cache, or
     * the pool has a single replica.
     */
    private boolean startsBeforeRecorded(TaskRun run) {
        return config.tasks().startBeforeRecorded()
                && (run.affineReplica() != null || run.spec().kvHint() != io.sluice.core.task.KvHint.REUSE
                        || run.pool().replicas().size() == 1);
    }

    /** Gives back a task's place when its record was not written; an early start is aborted without a trace. */
    private void release(TaskRun run, boolean early) {
        if (early) {
            scheduler.dispatcher().notRecorded(run);
        } else {
            scheduler.dispatcher().abandon(run);
        }
    }

    /**
     * SES-3 across instances: the session's stored last replica (written by another instance's start transitions)
     * becomes this task's preferred replica when placement found none in memory and it belongs to the chosen pool.
     */
    private void affineToStoredReplica(TaskRun run, SessionFigures session) {
        if (session == null || session.lastReplicaId() == null) {
            return;
        }
        affinity.learn(run.spec().sessionId(), session.lastReplicaId());
        if (run.affineReplica() == null && run.spec().kvHint() == io.sluice.core.task.KvHint.REUSE
                && session.lastReplicaId().startsWith(run.pool().id() + "/")) {
            run.affineReplica(session.lastReplicaId());
        }
    }

    private CompletionStage<Submitted> replayOrConflict(UUID taskId, String tenantId, String fingerprint, SluiceException otherwise) {
        return journal.find(taskId).thenApply(found -> {
            if (found.isEmpty()) {
                if (otherwise != null) {
                    throw otherwise;
                }
                // Held live here but not stored: it is being admitted concurrently.
                throw conflictingId(taskId, "was submitted concurrently");
            }
            return replay(found.get(), tenantId, fingerprint);
        });
    }

    private static Submitted replay(StoredTask existing, String tenantId, String fingerprint) {
        if (!existing.tenantId().equals(tenantId) || !existing.fingerprint().equals(fingerprint)) {
            throw conflictingId(existing.id(), "was already submitted with a different body");
        }
        return new Submitted(new TaskAccepted(existing.id().toString(), existing.queuePosition() == null ? 0 : existing.queuePosition(),
                existing.predictedStartMs() == null ? 0 : existing.predictedStartMs(), existing.backoffMs()), true);
    }

    private static SluiceException conflictingId(UUID taskId, String what) {
        return new SluiceException(SluiceError.of(ErrorCode.CONFLICT, "task_id " + taskId + " " + what)
                .withField("task_id")
                .withStage(AdmissionStage.VALIDATE));
    }

    private static long backoff(AdmissionPipeline.Admitted admitted) {
        Pool pool = admitted.placement().pool();
        int capacity = pool.config().queue().capacityOf(admitted.spec().priority());
        int depth = pool.queueDepth(admitted.spec().priority());
        // Soft backpressure: past 80 % of the queue, ask clients to space their submissions by one service time.
        return capacity > 0 && depth * 5L >= capacity * 4L ? (long) pool.estimator().taskMs() : 0L;
    }

    // ---------------------------------------------------------------------------------------- reads

    /** The live run when this instance holds it and the tenant owns it. */
    public Optional<TaskRun> liveRun(UUID id, String tenantId) {
        return scheduler.runs().find(id).filter(r -> r.spec().tenantId().equals(tenantId));
    }

    /** The stored task when the tenant owns it. */
    public CompletionStage<Optional<StoredTask>> stored(UUID id, String tenantId) {
        return journal.find(id).thenApply(t -> t.filter(s -> s.tenantId().equals(tenantId)));
    }

    /** Status from the live run when this instance holds it, otherwise from the database. */
    public CompletionStage<TaskStatus> status(UUID id, String tenantId) {
        return stored(id, tenantId).thenApply(row -> {
            Optional<TaskRun> live = liveRun(id, tenantId);
            if (row.isEmpty() && live.isEmpty()) {
                throw SluiceException.notFound("task " + id);
            }
            return live.map(r -> view(r, row.orElse(null))).orElseGet(() -> view(row.get()));
        });
    }

    /**
     * One page of the tenant's tasks, newest first. Tasks this instance holds live show their live state; others show
     * their stored row (a task running on another instance shows its last written state).
     */
    public CompletionStage<TaskDtos.TaskPage> list(String tenantId, UUID sessionId, String state, String modelRef, String cursor,
            int limit) {
        TaskJournal.ListPosition after = cursor == null ? null : TaskCursor.decode(cursor);
        return journal.list(tenantId, sessionId, state, modelRef, after, limit + 1).thenApply(rows -> {
            boolean more = rows.size() > limit;
            List<StoredTask> page = more ? rows.subList(0, limit) : rows;
            List<TaskStatus> items = new java.util.ArrayList<>(page.size());
            for (StoredTask t : page) {
                items.add(liveRun(t.id(), tenantId).map(r -> view(r, t)).orElseGet(() -> view(t)));
            }
            StoredTask last = page.isEmpty() ? null : page.get(page.size() - 1);
            return new TaskDtos.TaskPage(items, more && last != null ? TaskCursor.encode(last.createdAt(), last.id()) : null);
        });
    }

    /** Cancels a task this instance runs (SSE-3); false when it does not hold it live. */
    public boolean cancelLocal(UUID id, String tenantId) {
        if (liveRun(id, tenantId).isEmpty()) {
            return false;
        }
        scheduler.dispatcher().cancel(id);
        return true;
    }

    /** Whether {@code task} is owned by this instance. */
    public boolean ownedHere(StoredTask task) {
        return lease.id().equals(task.ownerInstance());
    }

    private static TaskStatus view(TaskRun r, StoredTask e) {
        var s = r.spec();
        SluiceError err = r.error();
        boolean queued = r.state() == TaskState.QUEUED;
        TaskDtos.PolicyDecision policy = e == null || e.policyName() == null
                ? null
                : new TaskDtos.PolicyDecision(e.policyName(), e.policyVersion(), e.policyDigest(), e.policyDecision());
        return new TaskStatus(s.taskId().toString(), s.sessionId().toString(), r.state().wire(), s.workload().wire(), s.modelRef(),
                r.pool().engine().wire(), r.pool().id(), r.replica() == null ? null : r.replica().qualifiedId(), s.priority().wire(),
                queued ? r.queuePositionAtAdmission() : null, queued ? r.predictedStartMs() : null,
                OffsetDateTime.ofInstant(r.createdAt(), ZoneOffset.UTC),
                r.startedAt() == null ? null : OffsetDateTime.ofInstant(r.startedAt(), ZoneOffset.UTC),
                r.endedAt() == null ? null : OffsetDateTime.ofInstant(r.endedAt(), ZoneOffset.UTC),
                r.tokensOut(), err == null ? null : ErrorBody.of(err, null), policy);
    }

    static TaskStatus view(StoredTask e) {
        ErrorBody err = e.errorCode() == null
                ? null
                : new ErrorBody(e.errorCode(), e.errorMessage(), Boolean.TRUE.equals(e.errorRetriable()), e.engine(), e.poolId(), null,
                        null, null, null, null, null, null);
        TaskDtos.PolicyDecision policy = e.policyName() == null
                ? null
                : new TaskDtos.PolicyDecision(e.policyName(), e.policyVersion(), e.policyDigest(), e.policyDecision());
        boolean queued = "queued".equals(e.state());
        return new TaskStatus(e.id().toString(), e.sessionId().toString(), e.state(), e.workload(), e.modelRef(), e.engine(), e.poolId(),
                e.replicaId(), e.priority(), queued && e.queuePosition() != null ? e.queuePosition().longValue() : null,
                queued ? e.predictedStartMs() : null, utc(e.createdAt()), utc(e.startedAt()), utc(e.endedAt()), e.tokensOut(), err, policy);
    }

    private static OffsetDateTime utc(OffsetDateTime t) {
        return t == null ? null : t.withOffsetSameInstant(ZoneOffset.UTC);
    }

    // ---------------------------------------------------------------------------------------- helpers

    private static <T> CompletionStage<T> completedOrFailed(java.util.function.Supplier<T> work) {
        try {
            return CompletableFuture.completedFuture(work.get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static SluiceException asSluice(Throwable e) {
        return unwrap(e) instanceof SluiceException se ? se : null;
    }

    private static String canonical(TaskRequest body) {
        try {
            return CANONICAL.writeValueAsString(body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
