package io.sluice.app.tasks.store;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * Tasks and their lifecycle events. Lifecycle updates are guarded by the state they expect, so updates that
 * arrive out of order from engine threads can never move a task backwards (a late "started" never
 * overwrites a terminal state). Every method needs a reactive session.
 */
@ApplicationScoped
public class TaskRepository implements PanacheRepositoryBase<TaskEntity, UUID> {

    public Uni<TaskEntity> findOwned(UUID id, String tenantId) {
        return find("id = ?1 and tenantId = ?2", id, tenantId).firstResult();
    }

    public Uni<Void> recordEvent(UUID taskId, String kind, String detailJson) {
        return getSession().flatMap(s -> s.createNativeQuery(
                                "insert into task_events (task_id, kind, detail_json) values (?1, ?2, ?3)")
                        .setParameter(1, taskId)
                        .setParameter(2, kind)
                        .setParameter(3, detailJson)
                        .executeUpdate())
                .replaceWithVoid();
    }

    /** queued → running; a no-op when the task already moved on. */
    public Uni<Integer> markStarted(UUID id, String poolId, String replicaId, OffsetDateTime startedAt) {
        return update("state = 'running', poolId = ?2, replicaId = ?3, startedAt = ?4 where id = ?1 and state = 'queued'",
                id, poolId, replicaId, startedAt);
    }

    /** Any non-terminal state → terminal. */
    public Uni<Integer> markEnded(UUID id, String state, TerminalRecord r) {
        return update("state = ?2, endedAt = ?3, tokensOut = ?4, decodeMs = ?5, terminalEventId = ?6, errorCode = ?7,"
                        + " errorMessage = ?8, errorRetriable = ?9, replicaId = coalesce(?10, replicaId)"
                        + " where id = ?1 and state in ('queued', 'running')",
                id, state, r.endedAt(), r.tokensOut(), r.decodeMs(), r.terminalEventId(), r.errorCode(), r.errorMessage(),
                r.errorRetriable(), r.replicaId());
    }

    /** What a terminal update writes. */
    public record TerminalRecord(
            OffsetDateTime endedAt,
            int tokensOut,
            Long decodeMs,
            long terminalEventId,
            String errorCode,
            String errorMessage,
            Boolean errorRetriable,
            String replicaId) {}

    /**
     * Resolves tasks left queued or running by a previous process (REL-2): they end with a retriable
     * WORKER_RESET so their owners see a terminal state and can resubmit.
     */
    public Uni<Integer> failUnfinished(String message) {
        return getSession().flatMap(s -> s.createNativeQuery(
                                "with ended as (update tasks set state = 'failed', ended_at = now(), error_code = 'WORKER_RESET',"
                                        + " error_message = ?1, error_retriable = true, terminal_event_id = null"
                                        + " where state in ('queued', 'running') returning id)"
                                        + " insert into task_events (task_id, kind, detail_json)"
                                        + " select id, 'recovered', '{\"code\":\"WORKER_RESET\"}' from ended")
                        .setParameter(1, message)
                        .executeUpdate());
    }
}
