package io.sluice.app.scheduling;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import io.sluice.app.tasks.store.TaskRepository;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * Resolves what a previous process left behind before this one accepts traffic (REL-2): tasks recorded as
 * queued or running end with a retriable WORKER_RESET, visible to their owners in status and on the stream.
 * They are not silently re-run: the previous process may have streamed part of their output already.
 */
@ApplicationScoped
public class TaskRecovery {
    private static final Logger LOG = Logger.getLogger(TaskRecovery.class);

    @Inject
    TaskRepository tasks;

    void onStart(@Observes @Priority(50) StartupEvent ev) throws Throwable {
        recoverLeftovers();
    }

    /** Ends every task still recorded as queued or running; returns how many. */
    public int recoverLeftovers() throws Throwable {
        Integer n = VertxContextSupport.subscribeAndAwait(() -> Panache.withTransaction(() -> tasks.failUnfinished(
                "the platform restarted while the task was queued or running; resubmit it")));
        if (n != null && n > 0) {
            LOG.warnf("resolved %d task(s) left queued or running by a previous process: ended with WORKER_RESET", n);
        }
        return n == null ? 0 : n;
    }
}
