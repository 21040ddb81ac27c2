package io.sluice.app.catalog;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.sluice.app.cluster.ChangeFeed;
import io.sluice.core.catalog.CanarySplit;
import io.sluice.core.catalog.CatalogSnapshot;
import io.sluice.core.catalog.ModelState;
import io.sluice.core.scheduling.TaskScheduler;
import io.sluice.core.task.TaskSpec;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * The admission-side view of the catalog (LIFE-2, LIFE-3): model states, alias splits and which tenants may
 * override a deprecation, held as one immutable {@link CatalogSnapshot}. It is read from PostgreSQL at start-up,
 * after every change made through this instance (before that change is answered), when the database notifies a
 * change ({@link ChangeFeed}, triggers of migration V5: made by another instance or by hand), and every 30 seconds
 * as a safety net. Admission only reads memory; it never waits for the database. Until the first read succeeds it is
 * retried every second, and {@link #readOnce()} stays false: the pools' load check refuses every load meanwhile
 * (ADR 0034), since an empty view would let any artifact pass.
 *
 * <p>Also publishes the gauge {@code model_state{model_id,state}}: 1 for the entry's current state, 0 for the others.
 */
@ApplicationScoped
public class CatalogRuntime {
    private static final Logger LOG = Logger.getLogger(CatalogRuntime.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long REFRESH_MS = 30_000;
    private static final long FIRST_READ_RETRY_MS = 1_000;

    @Inject
    ChangeFeed changes;

    @Inject
    MeterRegistry registry;

    @Inject
    TaskScheduler scheduler;

    /**
     * A catalog entry as the pools see it: which artifact it is and what its lifecycle asks of the pools serving it
     * (LIFE-2: drain by {@code drainDeadline} when Deprecated; stop and unload when Retired), and how its last
     * verification ended ({@code verified}, {@code unverified}, {@code failed}), which the load check (CAT-3) tries first.
     */
    public record Entry(UUID id, String name, String tag, String artifactDigest, ModelState state, java.time.OffsetDateTime drainDeadline,
            String verificationState) {
        public String ref() {
            return name + ":" + tag;
        }
    }

    /**
     * The chat template a catalog entry's manifest declares ({@code chat_template}, {@code bos_token},
     * {@code eos_token}), checked when the entry was ingested (ADR 0037).
     */
    public record DeclaredChatTemplate(String template, String bosToken, String eosToken) {}

    private volatile CatalogSnapshot snapshot = CatalogSnapshot.EMPTY;
    private volatile Map<UUID, DeclaredChatTemplate> chatTemplates = Map.of();
    private volatile List<Entry> entries = List.of();
    private final List<java.util.function.Consumer<List<Entry>>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<UUID, ModelState> states = new ConcurrentHashMap<>();
    private final AtomicBoolean refreshRequested = new AtomicBoolean();
    private final AtomicBoolean firstReadRetryScheduled = new AtomicBoolean();
    private volatile boolean readOnce;
    private volatile String lastReadFailure = "not read yet";
    private int failedFirstReads;
    private ScheduledExecutorService refresher;

    void start(@Observes @Priority(95) StartupEvent ev) {
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-catalog-refresh");
            t.setDaemon(true);
            return t;
        });
        refreshQuietly();
        refresher.scheduleWithFixedDelay(this::refreshQuietly, REFRESH_MS, REFRESH_MS, TimeUnit.MILLISECONDS);
        changes.listen(table -> {
            if (ChangeFeed.ANY.equals(table) || "catalog_models".equals(table) || "catalog_aliases".equals(table)
                    || "tenants".equals(table)) {
                requestRefresh();
            }
        });
    }

    void stop(@Observes ShutdownEvent ev) {
        if (refresher != null) {
            refresher.shutdownNow();
        }
    }

    /**
     * Resolves a task's {@code model_ref} through the catalog (ADM-2 "resolve model"), from memory. Refs not in the
     * catalog pass through, so pools keep serving the names their YAML gives them.
     */
    public TaskSpec resolve(TaskSpec spec) {
        CatalogSnapshot s = snapshot;
        if (s.models() == 0) {
            return spec;
        }
        return s.resolve(spec, name -> !scheduler.pools().poolsServing(spec.withModelRef(name)).isEmpty());
    }

    /**
     * The entry a {@code model_ref} names (an alias picks by session; without a session, the target most sessions
     * get), in any state; null when it names none. From memory.
     */
    public Entry entryFor(String ref, UUID sessionId) {
        UUID id = snapshot.entryId(ref, sessionId);
        if (id == null) {
            return null;
        }
        for (Entry e : entries) {
            if (e.id().equals(id)) {
                return e;
            }
        }
        return null;
    }

    /** The chat template an entry's manifest declares, or null. From memory. */
    public DeclaredChatTemplate chatTemplate(UUID entryId) {
        return chatTemplates.get(entryId);
    }

    /** The catalog's {@code name:tag} refs and aliases as last read, in any lifecycle state. */
    public Set<String> refs() {
        return snapshot.refs();
    }

    /** The entries as last read, in any state. */
    public List<Entry> entries() {
        return entries;
    }

    /**
     * Whether the catalog was read at least once since start. Until then {@link #entries()} is empty because nothing
     * is known, not because the catalog is empty.
     */
    public boolean readOnce() {
        return readOnce;
    }

    /** Why the last read failed (null after a successful one), for the reasons the pools give. */
    public String lastReadFailure() {
        return lastReadFailure;
    }

    /** Called with every entry after each refresh, on the refreshing thread (never an event loop). */
    public void onRefresh(java.util.function.Consumer<List<Entry>> listener) {
        listeners.add(listener);
    }

    /** Reloads on a worker thread and resumes on the caller's context: a change is in force when it is answered. */
    Uni<Void> refreshNow() {
        io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
        Uni<Void> reload = Uni.createFrom().item(() -> {
                    try {
                        reload();
                        return (Void) null;
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Throwable t) {
                        throw new IllegalStateException("could not refresh the catalog view", t);
                    }
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
        return context == null ? reload : reload.emitOn(r -> context.runOnContext(v -> r.run()));
    }

    private void requestRefresh() {
        if (refreshRequested.compareAndSet(false, true)) {
            refresher.execute(() -> {
                refreshRequested.set(false);
                refreshQuietly();
            });
        }
    }

    private void refreshQuietly() {
        try {
            reload();
        } catch (Throwable t) {
            String cause = rootMessage(t);
            lastReadFailure = cause;
            if (readOnce) {
                LOG.warnf("could not refresh the catalog view (keeping the previous one): %s", cause);
                return;
            }
            // Every pool load is refused until the catalog is read: retry soon rather than at the 30 s safety net, and
            // log the first failure and then every 30th, not each second.
            if (failedFirstReads++ % 30 == 0) {
                LOG.warnf("could not read the catalog (%d attempt(s)); pool loads are refused until it can be read: %s",
                        failedFirstReads, cause);
            }
            if (refresher != null && firstReadRetryScheduled.compareAndSet(false, true)) {
                refresher.schedule(() -> {
                    firstReadRetryScheduled.set(false);
                    refreshQuietly();
                }, FIRST_READ_RETRY_MS, TimeUnit.MILLISECONDS);
            }
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.toString();
    }

    /** Re-reads states, splits and overrides. Blocks the calling thread (never an event loop). */
    synchronized void reload() throws Throwable {
        List<Object[]> models = VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() -> Panache.getSession()
                .flatMap(s -> s.createNativeQuery("select id, name, tag, state, artifact_digest, drain_deadline_at, verification_state from catalog_models",
                        Object[].class).getResultList())));
        List<Object[]> continuingRows = VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() -> Panache.getSession()
                .flatMap(s -> s.createNativeQuery("select c.model_id, c.session_id from catalog_continuing_sessions c"
                        + " join catalog_models m on m.id = c.model_id where m.state = 'Deprecated'", Object[].class).getResultList())));
        List<Object[]> aliases = VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() -> Panache.getSession()
                .flatMap(s -> s.createNativeQuery("select alias, targets_json from catalog_aliases", Object[].class).getResultList())));
        // Only the three members, not whole manifests (up to 256 KiB each), are read on every refresh.
        List<Object[]> templates = VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() -> Panache.getSession()
                .flatMap(s -> s.createNativeQuery("select id, (manifest_json::jsonb) ->> 'chat_template', (manifest_json::jsonb) ->> 'bos_token',"
                        + " (manifest_json::jsonb) ->> 'eos_token' from catalog_models"
                        + " where jsonb_typeof((manifest_json::jsonb) -> 'chat_template') = 'string'", Object[].class).getResultList())));
        List<String> overriders = VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() -> Panache.getSession()
                .flatMap(s -> s.createNativeQuery("select id from tenants where may_override", String.class).getResultList())));
        List<CatalogSnapshot.Model> ms = new ArrayList<>();
        List<Entry> read = new ArrayList<>();
        Set<UUID> seen = new HashSet<>();
        for (Object[] r : models) {
            UUID id = (UUID) r[0];
            ModelState state = ModelState.parse((String) r[3]);
            ms.add(new CatalogSnapshot.Model(id, (String) r[1], (String) r[2], state));
            read.add(new Entry(id, (String) r[1], (String) r[2], (String) r[4], state, offsetDateTime(r[5]), (String) r[6]));
            seen.add(id);
            if (states.put(id, state) == null) {
                for (ModelState g : ModelState.values()) {
                    Gauge.builder("model_state", states, m -> m.get(id) == g ? 1 : 0)
                            .description("1 for the catalog entry's current lifecycle state, 0 for the others")
                            .tags("model_id", id.toString(), "state", g.name())
                            .register(registry);
                }
            }
        }
        states.keySet().retainAll(seen);
        Map<String, List<CanarySplit.Target>> splits = new HashMap<>();
        for (Object[] r : aliases) {
            List<Map<String, Object>> targets = JSON.readValue((String) r[1], new TypeReference<>() {});
            splits.put((String) r[0], targets.stream()
                    .map(t -> new CanarySplit.Target(UUID.fromString((String) t.get("model_id")), ((Number) t.get("percent")).intValue()))
                    .toList());
        }
        Map<UUID, Set<UUID>> continuing = new HashMap<>();
        for (Object[] r : continuingRows) {
            continuing.computeIfAbsent((UUID) r[0], k -> new HashSet<>()).add((UUID) r[1]);
        }
        Map<UUID, DeclaredChatTemplate> declared = new HashMap<>();
        for (Object[] r : templates) {
            declared.put((UUID) r[0], new DeclaredChatTemplate((String) r[1], r[2] == null ? "" : (String) r[2], r[3] == null ? "" : (String) r[3]));
        }
        chatTemplates = Map.copyOf(declared);
        snapshot = new CatalogSnapshot(ms, splits, new HashSet<>(overriders), continuing);
        entries = List.copyOf(read);
        lastReadFailure = null;
        readOnce = true;
        for (var l : listeners) {
            try {
                l.accept(entries);
            } catch (RuntimeException e) {
                LOG.warnf(e, "a catalog refresh listener failed; the others still run");
            }
        }
    }

    private static java.time.OffsetDateTime offsetDateTime(Object o) {
        if (o == null) {
            return null;
        }
        if (o instanceof java.time.OffsetDateTime t) {
            return t;
        }
        if (o instanceof java.time.Instant i) {
            return i.atOffset(java.time.ZoneOffset.UTC);
        }
        if (o instanceof java.time.LocalDateTime l) {
            return l.atOffset(java.time.ZoneOffset.UTC);
        }
        if (o instanceof java.sql.Timestamp ts) {
            return ts.toInstant().atOffset(java.time.ZoneOffset.UTC);
        }
        throw new IllegalStateException("unexpected timestamp type " + o.getClass());
    }
}
