package io.sluice.core.scheduling;

import io.sluice.core.engine.EngineProbe;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Decides whether a replica may start serving the artifact its engine reports (CAT-3: artifacts are verified before a
 * pool loads them, and a digest mismatch refuses the load). The prober asks it before a replica becomes Ready while no
 * other Ready replica of its pool serves the same artifact, and again when a Ready replica's engine reports another
 * artifact than it was made Ready with. A refused replica stays out of placement with the reason as its last error.
 */
@FunctionalInterface
public interface LoadGate {
    /** Lets every load through: what a scheduler without a catalog does. */
    LoadGate OPEN = (pool, probe) -> CompletableFuture.completedFuture(null);

    /**
     * @return a stage completing with {@code null} when the load may go on, or with the reason it is refused; a stage
     *     that fails refuses the load too, with the failure as the reason
     */
    CompletionStage<String> check(Pool pool, EngineProbe probe);
}
