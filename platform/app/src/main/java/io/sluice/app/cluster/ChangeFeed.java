package io.sluice.app.cluster;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * Tells this instance when settings it serves from memory changed in the database, whoever changed them (another
 * instance, an operator with psql): PostgreSQL notifies channel {@code sluice_changes} with the table name from
 * triggers (migration V3). After the connection was lost, every listener hears {@link #ANY}, since notifications
 * sent meanwhile are gone.
 */
@Singleton
public class ChangeFeed {
    private static final Logger LOG = Logger.getLogger(ChangeFeed.class);
    public static final String CHANNEL = "sluice_changes";
    /** Passed to listeners when any table may have changed. */
    public static final String ANY = "*";

    @Inject
    Vertx vertx;

    @Inject
    Config config;

    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
    private PgSubscriber subscriber;

    /** {@code listener} is called with the changed table's name, on an event loop: it must hand work off. */
    public void listen(Consumer<String> listener) {
        listeners.add(listener);
    }

    void start(@Observes @Priority(80) StartupEvent ev) {
        String url = config.getOptionalValue("quarkus.datasource.reactive.url", String.class).orElse(null);
        if (url == null) {
            LOG.warn("no reactive datasource URL is configured: changes made elsewhere apply only at the periodic refresh");
            return;
        }
        PgConnectOptions options = PgConnectOptions.fromUri(url.startsWith("vertx-reactive:") ? url.substring("vertx-reactive:".length()) : url);
        config.getOptionalValue("quarkus.datasource.username", String.class).ifPresent(options::setUser);
        config.getOptionalValue("quarkus.datasource.password", String.class).ifPresent(options::setPassword);
        subscriber = PgSubscriber.subscriber(vertx, options).reconnectPolicy(retries -> 1_000L);
        // Subscribed again after every reconnect: what changed while disconnected is unknown, so everything reloads.
        subscriber.channel(CHANNEL).handler(this::fire).subscribeHandler(v -> fire(ANY));
        subscriber.closeHandler(v -> LOG.warn("lost the change notification connection; reconnecting"));
        subscriber.connect().onFailure(e -> LOG.warnf("cannot listen for changes yet (%s); retrying, and changes made elsewhere"
                + " apply at the periodic refresh meanwhile", e.toString()));
    }

    private void fire(String table) {
        for (Consumer<String> l : listeners) {
            try {
                l.accept(table);
            } catch (RuntimeException e) {
                LOG.errorf(e, "a change listener failed on %s", table);
            }
        }
    }

    void stop(@Observes ShutdownEvent ev) {
        if (subscriber != null) {
            subscriber.close();
        }
    }
}
