package io.sluice.app.pools;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.sluice.app.catalog.CatalogDtos.VerificationRun;
import io.sluice.app.catalog.CatalogRuntime;
import io.sluice.app.catalog.CatalogRuntime.Entry;
import io.sluice.app.catalog.CatalogService;
import io.sluice.app.catalog.CatalogTrust;
import io.sluice.core.catalog.ModelState;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.scheduling.LoadGate;
import io.sluice.core.scheduling.Pool;
import io.sluice.core.scheduling.ReplicaState;
import io.sluice.core.scheduling.TaskScheduler;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * The catalog's check of every pool load (CAT-2, CAT-3, ADR 0031), the first one at start-up included: before a
 * replica becomes Ready (and no other Ready replica of its pool serves the same artifact), the artifact digest its
 * engine reports must be a catalog entry's of the pool's model, and that entry is verified again (signatures and SBOM,
 * recorded on the entry and counted, as {@code POST .../verify} does). A refused load keeps the replica out of
 * placement with the reason as its last error ({@code GET /v1/pools/{id}/health}); a digest mismatch counts in
 * {@code catalog_verifications_total{result="failed",reason="digest_mismatch"}}.
 *
 * <p>Which entries apply: those whose {@code name:tag} is the pool's model (the pool pins that entry), else those
 * whose {@code name} is. A model the catalog does not know passes through (ADR 0011). An engine that reports no sha256
 * digest (llama.cpp reports a path) cannot be checked: a pinned pool refuses it, a pool naming only the model passes
 * it, as such a pool serves no entry (ADR 0021).
 *
 * <p>Until the catalog has been read once ({@link CatalogRuntime#readOnce()}), every load is refused with the read's
 * cause (ADR 0034): an unread catalog holds no entries, and checking against it would pass any artifact. The refresh
 * that first succeeds probes the refused pools again.
 */
@ApplicationScoped
public class PoolLoadCheck implements LoadGate {
    @Inject
    CatalogRuntime catalog;

    @Inject
    CatalogService service;

    @Inject
    CatalogTrust trust;

    @Inject
    TaskScheduler scheduler;

    /**
     * Installed after the catalog view's first read (priority 95) and before the scheduler starts probing (100), so that
     * the first load is checked against the catalog as stored.
     */
    void install(@Observes @Priority(97) StartupEvent ev) {
        scheduler.loadGate(this);
        // A refused pool may pass once the catalog changed (the served artifact ingested, an entry verified again):
        // probe it after each refresh rather than at its next slow re-check.
        catalog.onRefresh(entries -> {
            for (Pool p : scheduler.pools().pools()) {
                if (p.replicas().stream().anyMatch(r -> r.state() == ReplicaState.DOWN && refused(r.lastError()))) {
                    scheduler.reprobe(p);
                }
            }
        });
    }

    /** The prefix of every refusal reason, so a refused replica can be told from one that is merely down. */
    static final String REFUSED = "load refused by the catalog: ";

    private static boolean refused(String lastError) {
        return lastError != null && lastError.startsWith(REFUSED);
    }

    @Override
    public CompletionStage<String> check(Pool pool, EngineProbe probe) {
        if (!catalog.readOnce()) {
            return CompletableFuture.completedFuture(REFUSED + "the catalog could not be read yet (" + catalog.lastReadFailure()
                    + "), so the artifact of pool " + pool.id() + " cannot be checked; the load is checked once the catalog is read");
        }
        String model = pool.model();
        List<Entry> named = catalog.entries().stream().filter(e -> model.equals(e.ref()) || model.equals(e.name())).toList();
        if (named.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        Entry pinned = named.stream().filter(e -> model.equals(e.ref())).findFirst().orElse(null);
        String reported = PoolControl.digest(probe);
        if (reported == null && pinned == null) {
            return CompletableFuture.completedFuture(null);
        }
        List<Entry> candidates = (pinned != null ? List.of(pinned) : named).stream()
                .filter(e -> e.artifactDigest().equals(reported))
                .sorted(Comparator.comparing((Entry e) -> e.state() == ModelState.Retired)
                        .thenComparing(e -> !"verified".equals(e.verificationState()))
                        .thenComparing(Entry::tag))
                .toList();
        if (candidates.isEmpty()) {
            trust.countDigestMismatch();
            return CompletableFuture.completedFuture(REFUSED + "digest mismatch: the engine reports "
                    + (reported == null ? "no sha256 digest" : reported) + ", but pool " + pool.id() + " serves "
                    + (pinned != null ? "catalog entry " + pinned.ref() + " (" + pinned.artifactDigest() + ")"
                            : "model " + model + ", whose catalog entries are " + named.stream()
                                    .map(e -> e.ref() + " (" + e.artifactDigest() + ")").sorted().limit(8).collect(Collectors.joining(", ")))
                    + "; ingest the served artifact or load the entry's on the engine");
        }
        if (candidates.get(0).state() == ModelState.Retired) {
            return CompletableFuture.completedFuture(REFUSED + "catalog entry " + candidates.get(0).ref()
                    + " is Retired; a pool may not load it");
        }
        return CompletableFuture.supplyAsync(() -> verifyFirstTrusted(candidates), Infrastructure.getDefaultWorkerPool());
    }

    /**
     * Verifies the candidates in order until one passes: the artifact is trusted when an entry naming it verifies now.
     * Null then, else the refusal. Runs on a worker thread: verification reads and writes the entry.
     */
    private String verifyFirstTrusted(List<Entry> candidates) {
        String last = null;
        for (Entry e : candidates) {
            if (e.state() == ModelState.Retired) {
                continue;
            }
            VerificationRun run;
            try {
                run = VertxContextSupport.subscribeAndAwait(() -> service.verify(e.id().toString()));
            } catch (Throwable t) {
                throw new IllegalStateException("verifying catalog entry " + e.ref() + " failed: " + t.getMessage(), t);
            }
            if ("verified".equals(run.state()) || !CatalogTrust.STRICT.equals(trust.policy())) {
                return null;
            }
            last = "catalog entry " + e.ref() + " did not verify again (" + run.state() + ", verification " + run.verificationId()
                    + "); see the entry's verification";
        }
        return REFUSED + last;
    }
}
