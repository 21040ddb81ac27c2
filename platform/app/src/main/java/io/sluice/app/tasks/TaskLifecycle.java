package io.sluice.app.tasks;

import io.sluice.app.tasks.store.TaskJournal;
import io.sluice.core.error.SluiceError;
import io.sluice.core.scheduling.TaskObserver;
import io.sluice.core.scheduling.TaskRun;
import io.sluice.core.stream.TaskEvent;
import jakarta.enterprise.context.ApplicationScoped;
import io.sluice.app.observability.StructuredLog;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * Records task starts in the journal (their ends are committed by the scheduler itself, before the stream shows
 * them) and writes the structured admission, start and end logs (OBS-2), each with the correlation id of the request
 * that submitted the task. Never blocks: the journal batches.
 */
@ApplicationScoped
public class TaskLifecycle implements TaskObserver {
    private static final Logger LOG = Logger.getLogger("io.sluice.tasks");

    @Inject
    TaskJournal journal;

    /** Correlation ids of the requests that submitted live tasks, so the task's later lines carry them too. */
    private final java.util.Map<java.util.UUID, String> correlation = new java.util.concurrent.ConcurrentHashMap<>();

    /** Remembers the correlation id of the request submitting {@code taskId}, before the task can start. */
    void correlate(java.util.UUID taskId, String correlationId) {
        if (correlationId != null) {
            correlation.putIfAbsent(taskId, correlationId);
        }
    }

    /** Forgets it again when the submission was refused. */
    void forget(java.util.UUID taskId) {
        correlation.remove(taskId);
    }

    /**
     * The admission line (OBS-2), written once the task is queued, before it can start. A task started while its
     * record commits (ADR 0022) is queued before it is durable; if the record is never written, its end line says
     * {@code not_recorded}.
     */
    @Override
    public void onEnqueued(TaskRun run) {
        var spec = run.spec();
        StructuredLog.info(LOG, "task admitted", StructuredLog.CORRELATION_ID, correlation.get(spec.taskId()), "task_id", spec.taskId(),
                "session_id", spec.sessionId(), "tenant_id", spec.tenantId(), "engine", run.pool().engine().wire(),
                "pool_id", run.pool().id(), "replica_id", run.replica() == null ? null : run.replica().qualifiedId(),
                "model_id", spec.modelRef(), "priority", spec.priority().wire(), "queue_position", run.queuePositionAtAdmission(),
                "predicted_start_ms", run.predictedStartMs());
    }

    @Override
    public void onStarted(TaskRun run) {
        // The start transition updates the task's row, so it waits for the row (ADR 0022); usually it is there.
        if (run.admission().recorded()) {
            journal.recordStarted(run);
        } else {
            run.admission().then(recorded -> {
                if (recorded) {
                    journal.recordStarted(run);
                }
            });
        }
        var spec = run.spec();
        StructuredLog.info(LOG, "task started", StructuredLog.CORRELATION_ID, correlation.get(spec.taskId()), "task_id", spec.taskId(),
                "session_id", spec.sessionId(), "tenant_id", spec.tenantId(), "engine", run.pool().engine().wire(),
                "pool_id", run.pool().id(), "replica_id", run.replica().qualifiedId(), "model_id", spec.modelRef(),
                "priority", spec.priority().wire(), "queue_position", run.queuePositionAtAdmission(),
                "predicted_start_ms", run.predictedStartMs(), "queue_time_ms", run.queueTimeMs(), "kv_warmth", run.kvWarm());
    }

    @Override
    public void onTerminal(TaskRun run, TaskEvent terminal, EndReason reason) {
        var spec = run.spec();
        String cid = correlation.remove(spec.taskId());
        if (!LOG.isInfoEnabled()) {
            return;
        }
        SluiceError err = terminal instanceof TaskEvent.Failed f ? f.error() : null;
        Long decodeMs = terminal instanceof TaskEvent.End e ? e.decodeMs() : (run.startedAt() == null ? null : run.decodeTimeMs());
        StructuredLog.info(LOG, "task ended", StructuredLog.CORRELATION_ID, cid, "task_id", spec.taskId(), "session_id", spec.sessionId(),
                "tenant_id", spec.tenantId(), "engine", run.pool().engine().wire(), "pool_id", run.pool().id(),
                "replica_id", run.replica() == null ? null : run.replica().qualifiedId(), "model_id", spec.modelRef(),
                "priority", spec.priority().wire(), "state", run.state().wire(), "reason", reason.name().toLowerCase(java.util.Locale.ROOT),
                "code", err == null ? null : err.code(), "queue_time_ms", run.queueTimeMs(), "decode_time_ms", decodeMs,
                "tokens_in", spec.estimatedPromptTokens(), "tokens_out", run.tokensOut(), "kv_warmth", run.kvWarm(), "preempted", false);
    }
}
