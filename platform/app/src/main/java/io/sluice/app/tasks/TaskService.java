package io.sluice.app.tasks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.app.http.ErrorBody;
import io.sluice.app.scheduling.SchedulerRuntime;
import io.sluice.app.tasks.TaskDtos.TaskAccepted;
import io.sluice.core.task.TaskRequest;
import io.sluice.app.tasks.TaskDtos.TaskStatus;
import io.sluice.app.tasks.store.SessionEntity;
import io.sluice.app.tasks.store.SessionRepository;
import io.sluice.app.tasks.store.TaskEntity;
import io.sluice.app.tasks.store.TaskRepository;
import io.sluice.app.tenancy.store.TenantRepository;
import io.sluice.core.admission.AdmissionPipeline;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.scheduling.TaskRun;
import io.sluice.core.task.TaskSpec;
import io.sluice.core.task.TaskValidator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;

/**
 * The task operations behind the REST resource: admission (ADM-2) with idempotent re-posts (ADM-1), the
 * durable record before enqueue (REL-2), status, and cancel (SSE-3). Tenant isolation (SEC-3): every lookup
 * is by task id <em>and</em> tenant, so another tenant's task is simply not found.
 */
@ApplicationScoped
public class TaskService {
    /** Canonical form for fingerprints: sorted keys, no nulls, no whitespace. */
    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .propertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
            .configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .serializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
            .build();

    @Inject
    SchedulerRuntime runtime;

    @Inject
    TaskRepository tasks;

    @Inject
    SessionRepository sessions;

    @Inject
    TenantRepository tenants;

    @Inject
    SluiceAppConfig config;

    /** What admission answered, plus what the REST layer needs for headers. */
    public record Submitted(TaskAccepted accepted, boolean replay) {}

    public Uni<Submitted> submit(TaskRequest body, String tenantId) {
        // validate first: cheap, and a bad body never touches the database
        TaskSpec validated = TaskValidator.validate(body, tenantId);
        String requestJson = canonical(body);
        String fingerprint = sha256(requestJson);
        io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
        return Panache.withSession(() -> tasks.findById(validated.taskId())).flatMap(existing -> {
            if (existing != null) {
                return Uni.createFrom().item(replay(existing, tenantId, fingerprint));
            }
            // Tenant policies may run for milliseconds: admission runs on a worker thread, persistence back on
            // the request's Vert.x context.
            return Uni.createFrom().item(() -> runtime.pipeline().evaluate(validated))
                    .runSubscriptionOn(io.smallrye.mutiny.infrastructure.Infrastructure.getDefaultWorkerPool())
                    .emitOn(r -> context.runOnContext(v -> r.run()))
                    .flatMap(admitted -> record(admitted, requestJson, fingerprint).flatMap(entity -> enqueue(admitted, entity)));
        });
    }

    private Submitted replay(TaskEntity existing, String tenantId, String fingerprint) {
        if (!existing.tenantId.equals(tenantId) || !existing.fingerprint.equals(fingerprint)) {
            throw new SluiceException(SluiceError.of(ErrorCode.CONFLICT,
                            "task_id " + existing.id + " was already submitted with a different body")
                    .withField("task_id")
                    .withStage(AdmissionStage.VALIDATE));
        }
        return new Submitted(new TaskAccepted(existing.id.toString(), existing.queuePosition == null ? 0 : existing.queuePosition,
                existing.predictedStartMs == null ? 0 : existing.predictedStartMs, existing.backoffMs), true);
    }

    /** Durably records the admitted task (and its session turn) before it may run (REL-2). */
    private Uni<TaskEntity> record(AdmissionPipeline.Admitted admitted, String requestJson, String fingerprint) {
        TaskSpec spec = admitted.spec();
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return Panache.withTransaction(() -> tenants.ensureExists(spec.tenantId())
                .flatMap(v -> sessions.lockOrCreate(spec.sessionId(), spec.tenantId(), now, config.sessions().ttlMs(),
                        config.sessions().maxTurns()))
                .flatMap(session -> {
                    checkSession(session, spec, now);
                    session.turns++;
                    TaskEntity t = new TaskEntity();
                    t.id = spec.taskId();
                    t.tenantId = spec.tenantId();
                    t.sessionId = spec.sessionId();
                    t.fingerprint = fingerprint;
                    t.requestJson = requestJson;
                    t.workload = spec.workload().wire();
                    t.modelRef = spec.modelRef();
                    t.engine = admitted.placement().pool().engine().wire();
                    t.priority = spec.priority().wire();
                    t.state = "queued";
                    t.poolId = admitted.placement().pool().id();
                    t.queuePosition = (int) Math.min(Integer.MAX_VALUE, admitted.placement().queuePosition());
                    t.predictedStartMs = admitted.placement().predictedStartMs();
                    t.backoffMs = backoff(admitted);
                    t.createdAt = now;
                    if (admitted.policy() != null) {
                        t.policyName = admitted.policy().name();
                        t.policyVersion = admitted.policy().version();
                        t.policyDigest = admitted.policy().digest();
                        t.policyDecision = admitted.policyDecision();
                    }
                    return tasks.persistAndFlush(t)
                            .flatMap(x -> tasks.recordEvent(t.id, "accepted", "{\"pool_id\":\"" + t.poolId + "\"}"))
                            .replaceWith(t);
                }))
                .onFailure(e -> e instanceof org.hibernate.exception.ConstraintViolationException cve && "tasks_pkey".equals(cve.getConstraintName()))
                .transform(e -> new SluiceException(SluiceError.of(ErrorCode.CONFLICT,
                                "task_id " + spec.taskId() + " was submitted concurrently")
                        .withField("task_id")
                        .withStage(AdmissionStage.VALIDATE)));
    }

    private static void checkSession(SessionEntity s, TaskSpec spec, OffsetDateTime now) {
        if (!s.tenantId.equals(spec.tenantId())) {
            throw new SluiceException(SluiceError.of(ErrorCode.NOT_FOUND, "session " + spec.sessionId() + " not found")
                    .withField("session_id"));
        }
        if (s.deletedAt != null) {
            throw conflict("session " + s.id + " was deleted; start a new session");
        }
        if (!now.isBefore(s.expiresAt)) {
            throw conflict("session " + s.id + " expired; start a new session");
        }
        if (s.turns >= s.maxTurns) {
            throw conflict("session " + s.id + " used all of its " + s.maxTurns + " turns; start a new session");
        }
    }

    private static SluiceException conflict(String message) {
        return new SluiceException(SluiceError.of(ErrorCode.CONFLICT, message).withField("session_id").withStage(AdmissionStage.QUOTA));
    }

    /**
     * Enqueues a recorded task. Should the queue have filled since admission looked, the record (and the
     * session turn it counted) is removed again before the rejection is answered, so a later re-post of the
     * same task is admitted afresh and nothing of the refused task stays stored.
     */
    private Uni<Submitted> enqueue(AdmissionPipeline.Admitted admitted, TaskEntity entity) {
        TaskRun run;
        try {
            run = runtime.scheduler().enqueue(admitted.spec(), admitted.placement());
        } catch (SluiceException e) {
            return Panache.withTransaction(() -> tasks.delete("id", entity.id)
                            .flatMap(n -> sessions.update("turns = turns - 1 where id = ?1 and turns > 0", entity.sessionId)))
                    .flatMap(n -> Uni.createFrom().<Submitted>failure(e));
        }
        return Uni.createFrom().item(new Submitted(new TaskAccepted(entity.id.toString(), run.queuePositionAtAdmission(),
                run.predictedStartMs(), entity.backoffMs), false));
    }

    private static long backoff(AdmissionPipeline.Admitted admitted) {
        var pool = admitted.placement().pool();
        int capacity = pool.config().queue().capacityOf(admitted.spec().priority());
        int depth = pool.queueDepth(admitted.spec().priority());
        // Soft backpressure: past 80 % of the queue, ask clients to space their submissions by one service time.
        return capacity > 0 && depth * 5L >= capacity * 4L ? (long) pool.estimator().taskMs() : 0L;
    }

    // ---------------------------------------------------------------------------------------- reads

    /** The live run when the scheduler still holds it and the tenant owns it. */
    public Optional<TaskRun> liveRun(UUID id, String tenantId) {
        return runtime.scheduler().find(id).filter(r -> r.spec().tenantId().equals(tenantId));
    }

    public Uni<TaskEntity> stored(UUID id, String tenantId) {
        return Panache.withSession(() -> tasks.findOwned(id, tenantId));
    }

    public Uni<TaskStatus> status(UUID id, String tenantId) {
        Uni<TaskEntity> row = stored(id, tenantId);
        return row.map(e -> {
            Optional<TaskRun> live = liveRun(id, tenantId);
            if (e == null && live.isEmpty()) {
                throw SluiceException.notFound("task " + id);
            }
            return live.map(r -> view(r, e)).orElseGet(() -> view(e));
        });
    }

    /** Cancels a task the tenant owns (SSE-3); cancelling an ended task is a no-op. */
    public Uni<Void> cancel(UUID id, String tenantId) {
        Optional<TaskRun> live = liveRun(id, tenantId);
        if (live.isPresent()) {
            runtime.scheduler().cancel(id);
            return Uni.createFrom().voidItem();
        }
        return stored(id, tenantId).map(e -> {
            if (e == null) {
                throw SluiceException.notFound("task " + id);
            }
            return null;
        });
    }

    private static TaskStatus view(TaskRun r, TaskEntity e) {
        var s = r.spec();
        SluiceError err = r.error();
        boolean queued = r.state() == io.sluice.core.task.TaskState.QUEUED;
        TaskDtos.PolicyDecision policy = e == null || e.policyName == null
                ? null
                : new TaskDtos.PolicyDecision(e.policyName, e.policyVersion, e.policyDigest, e.policyDecision);
        return new TaskStatus(s.taskId().toString(), s.sessionId().toString(), r.state().wire(), s.workload().wire(), s.modelRef(),
                r.pool().engine().wire(), r.pool().id(), r.replica() == null ? null : r.replica().qualifiedId(), s.priority().wire(),
                queued ? r.queuePositionAtAdmission() : null, queued ? r.predictedStartMs() : null,
                OffsetDateTime.ofInstant(r.createdAt(), ZoneOffset.UTC),
                r.startedAt() == null ? null : OffsetDateTime.ofInstant(r.startedAt(), ZoneOffset.UTC),
                r.endedAt() == null ? null : OffsetDateTime.ofInstant(r.endedAt(), ZoneOffset.UTC),
                r.tokensOut(), err == null ? null : ErrorBody.of(err, null), policy);
    }

    private static TaskStatus view(TaskEntity e) {
        ErrorBody err = e.errorCode == null
                ? null
                : new ErrorBody(e.errorCode, e.errorMessage, Boolean.TRUE.equals(e.errorRetriable), e.engine, e.poolId, null, null,
                        null, null, null, null, null);
        TaskDtos.PolicyDecision policy = e.policyName == null
                ? null
                : new TaskDtos.PolicyDecision(e.policyName, e.policyVersion, e.policyDigest, e.policyDecision);
        boolean queued = "queued".equals(e.state);
        return new TaskStatus(e.id.toString(), e.sessionId.toString(), e.state, e.workload, e.modelRef, e.engine, e.poolId,
                e.replicaId, e.priority, queued && e.queuePosition != null ? e.queuePosition.longValue() : null,
                queued ? e.predictedStartMs : null, e.createdAt, e.startedAt, e.endedAt, e.tokensOut, err, policy);
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
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
