package io.sluice.app.tasks.store;

import io.quarkus.runtime.ShutdownEvent;
import io.sluice.app.cluster.InstanceLease;
import io.sluice.app.config.SluiceAppConfig;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Builds the task journal (the scheduler's {@link io.sluice.core.scheduling.OutcomeStore}) and, on shutdown, after
 * the scheduler ended what still ran, waits (bounded) until those outcomes are written before the lease is given up.
 */
@ApplicationScoped
public class JournalWiring {
    private static final Logger LOG = Logger.getLogger(JournalWiring.class);

    @Produces
    @Singleton
    TaskJournal journal(Pool pool, Vertx vertx, SluiceAppConfig config) {
        return new TaskJournal(pool, vertx, config.sessions().ttlMs(), config.sessions().maxTurns());
    }

    void stop(@Observes @Priority(200) ShutdownEvent ev, TaskJournal journal, InstanceLease lease) throws InterruptedException {
        if (!journal.awaitTransitions(Duration.ofSeconds(5))) {
            // The row stays live-looking until the lease expires; then another instance's sweep resolves what is unwritten.
            LOG.warn("some task outcomes were not written before shutdown; other instances resolve those tasks once this lease expires");
            lease.stopRenewing();
            return;
        }
        lease.close();
    }
}
