package io.sluice.core.engine;

import io.sluice.core.task.EngineKind;
import java.util.concurrent.CompletableFuture;

/**
 * Speaks one engine's HTTP protocol to one replica (SPEC POOL-4). Implementations live in
 * {@code platform/engines}; the scheduler only sees this interface.
 *
 * <p>Thread-safe: one adapter instance serves every concurrent generation on its replica. Methods never
 * block the caller; results arrive on the adapter's I/O threads.
 */
public interface EngineAdapter extends AutoCloseable {
    EngineKind kind();

    /** Base URL of the replica, for logs and health reports. */
    String endpoint();

    /**
     * Asks the replica whether it is live and what it serves (engine version, model digest, slots, ctx).
     * Completes exceptionally with {@link EngineException} when the replica is down or still loading.
     */
    CompletableFuture<EngineProbe> probe();

    /**
     * Starts a streamed generation. Exactly one of {@link GenerationListener#onEnd} or
     * {@link GenerationListener#onError} is called, unless the returned handle is cancelled first, in which
     * case neither is guaranteed.
     */
    Generation generate(GenerationRequest request, GenerationListener listener);

    /**
     * Whether a generation on this replica can be cancelled mid-decode and later continued exactly from the text it had
     * streamed ({@link GenerationRequest#resumeText}): the {@code interruptible_decode} capability that SCH-5 hard
     * preemption needs (ADR 0027). False unless the engine itself says it can; may change after a {@link #probe()}.
     */
    default boolean interruptibleDecode() {
        return false;
    }

    /**
     * The chat template the engine reported for its model at the last {@link #probe()}, or null when it reports none
     * (its protocol has no such report, or the model carries no template). ADR 0037.
     */
    default EngineChatTemplate chatTemplate() {
        return null;
    }

    /** Asks the engine to unload its model, where the protocol supports it. */
    default CompletableFuture<Void> unload() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    default void close() {}
}
