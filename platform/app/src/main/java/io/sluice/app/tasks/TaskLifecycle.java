package io.sluice.app.tasks;

import io.sluice.app.tasks.store.TaskJournal;
import io.sluice.core.error.SluiceError;
import io.sluice.core.scheduling.TaskObserver;
import io.sluice.core.scheduling.TaskRun;
import io.sluice.core.stream.TaskEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * Records task starts in the journal (their ends are committed by the scheduler itself, before the stream shows
 * them) and writes the structured start and end logs (OBS-2). Never blocks: the journal batches.
 */
@ApplicationScoped
public class TaskLifecycle implements TaskObserver {
    private static final Logger LOG = Logger.getLogger("io.sluice.tasks");

    @Inject
    TaskJournal journal;

    @Override
    public void onStarted(TaskRun run) {
        journal.recordStarted(run);
        if (!LOG.isInfoEnabled()) {
            return;
        }
        var spec = run.spec();
        LOG.infof("task started task_id=%s session_id=%s tenant_id=%s engine=%s pool_id=%s replica_id=%s model_id=%s priority=%s"
                        + " queue_position=%d predicted_start_ms=%d queue_time_ms=%d",
                spec.taskId(), spec.sessionId(), spec.tenantId(), run.pool().engine().wire(), run.pool().id(),
                run.replica().qualifiedId(), spec.modelRef(), spec.priority().wire(), run.queuePositionAtAdmission(),
                run.predictedStartMs(), run.queueTimeMs());
    }

    @Override
    public void onTerminal(TaskRun run, TaskEvent terminal, EndReason reason) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        var spec = run.spec();
        SluiceError err = terminal instanceof TaskEvent.Failed f ? f.error() : null;
        Long decodeMs = terminal instanceof TaskEvent.End e ? e.decodeMs() : (run.startedAt() == null ? null : run.decodeTimeMs());
        LOG.infof("task ended task_id=%s session_id=%s tenant_id=%s engine=%s pool_id=%s replica_id=%s state=%s reason=%s code=%s"
                        + " queue_time_ms=%d decode_time_ms=%s tokens_in=%d tokens_out=%d kv_warmth=%s preempted=false",
                spec.taskId(), spec.sessionId(), spec.tenantId(), run.pool().engine().wire(), run.pool().id(),
                run.replica() == null ? null : run.replica().qualifiedId(), run.state().wire(), reason.name().toLowerCase(),
                err == null ? "-" : err.code(), run.queueTimeMs(), decodeMs, spec.estimatedPromptTokens(), run.tokensOut(), run.kvWarm());
    }
}
