package io.sluice.app.scheduling;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import io.sluice.app.tasks.store.TaskRepository;
import io.sluice.core.error.SluiceError;
import io.sluice.core.scheduling.TaskObserver;
import io.sluice.core.scheduling.TaskRun;
import io.sluice.core.stream.TaskEvent;
import io.sluice.core.task.TaskState;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Records task starts and ends in PostgreSQL (REL-2) and writes the structured start/end logs (OBS-2). Runs
 * on scheduler and engine threads, so database work is handed to a Vert.x context and never blocks them.
 */
@ApplicationScoped
public class TaskRecorder implements TaskObserver {
    private static final Logger LOG = Logger.getLogger("io.sluice.tasks");

    @Inject
    TaskRepository tasks;

    @Inject
    ObjectMapper json;

    @Override
    public void onStarted(TaskRun run) {
        var spec = run.spec();
        var replica = run.replica();
        LOG.infof("task started task_id=%s session_id=%s tenant_id=%s engine=%s pool_id=%s replica_id=%s model_id=%s priority=%s"
                        + " queue_position=%d predicted_start_ms=%d queue_time_ms=%d",
                spec.taskId(), spec.sessionId(), spec.tenantId(), run.pool().engine().wire(), run.pool().id(),
                replica.qualifiedId(), spec.modelRef(), spec.priority().wire(), run.queuePositionAtAdmission(),
                run.predictedStartMs(), run.queueTimeMs());
        OffsetDateTime at = OffsetDateTime.ofInstant(run.startedAt(), ZoneOffset.UTC);
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("pool_id", run.pool().id());
        detail.put("replica_id", replica.qualifiedId());
        detail.put("queue_time_ms", run.queueTimeMs());
        write("start of " + spec.taskId(), () -> tasks.markStarted(spec.taskId(), run.pool().id(), replica.qualifiedId(), at)
                .flatMap(n -> n == 0 ? Uni.createFrom().voidItem() : tasks.recordEvent(spec.taskId(), "started", toJson(detail))));
    }

    @Override
    public void onTerminal(TaskRun run, TaskEvent terminal, EndReason reason) {
        var spec = run.spec();
        SluiceError err = terminal instanceof TaskEvent.Failed f ? f.error() : null;
        Long decodeMs = terminal instanceof TaskEvent.End e ? e.decodeMs() : (run.startedAt() == null ? null : run.decodeTimeMs());
        String replicaId = run.replica() == null ? null : run.replica().qualifiedId();
        LOG.infof("task ended task_id=%s session_id=%s tenant_id=%s engine=%s pool_id=%s replica_id=%s state=%s reason=%s code=%s"
                        + " queue_time_ms=%d decode_time_ms=%s tokens_in=%d tokens_out=%d kv_warmth=false preempted=false",
                spec.taskId(), spec.sessionId(), spec.tenantId(), run.pool().engine().wire(), run.pool().id(), replicaId,
                run.state().wire(), reason, err == null ? "-" : err.code(), run.queueTimeMs(), decodeMs,
                spec.estimatedPromptTokens(), run.tokensOut());
        OffsetDateTime at = OffsetDateTime.ofInstant(run.endedAt() == null ? java.time.Instant.now() : run.endedAt(), ZoneOffset.UTC);
        TaskState state = run.state();
        var record = new TaskRepository.TerminalRecord(at, (int) run.tokensOut(), decodeMs, run.log().size(),
                err == null ? null : err.code().name(), err == null ? null : err.message(), err == null ? null : err.retriable(),
                replicaId);
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("state", state.wire());
        detail.put("reason", reason.name().toLowerCase());
        if (err != null) {
            detail.put("code", err.code().name());
        }
        write("end of " + spec.taskId(), () -> tasks.markEnded(spec.taskId(), state.wire(), record)
                .flatMap(n -> n == 0 ? Uni.createFrom().voidItem() : tasks.recordEvent(spec.taskId(), "ended", toJson(detail))));
    }

    private String toJson(Map<String, Object> m) {
        try {
            return json.writeValueAsString(m);
        } catch (Exception e) {
            return "{}";
        }
    }

    /**
     * One thread hands the writes to Vert.x in the order the scheduler reported them (a start is always
     * sent before its end) and keeps them off event loops, where a fresh reactive session cannot be opened.
     */
    private final java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "sluice-task-recorder");
        t.setDaemon(true);
        return t;
    });

    private void write(String what, Supplier<Uni<Void>> work) {
        writer.execute(() -> VertxContextSupport.subscribe(
                () -> Panache.withTransaction(work).toMulti(),
                s -> s.with(x -> {}, failure -> LOG.errorf(failure, "could not record %s", what))));
    }

    @jakarta.annotation.PreDestroy
    void close() {
        writer.shutdown();
    }
}
