package io.sluice.engines;

import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.task.EngineKind;
import io.vertx.core.Vertx;
import java.net.URI;

/** Creates the adapter for an engine kind. */
public final class EngineAdapters {
    private EngineAdapters() {}

    /**
     * @param kind engine protocol
     * @param base replica base URL
     * @param model model name as the engine knows it (used in vLLM and Triton paths and bodies)
     * @param options the replica's credential and stream limits
     * @param vertx whose event loops carry the replica's connections (the application's own instance)
     */
    public static EngineAdapter create(EngineKind kind, URI base, String model, EngineOptions options, Vertx vertx) {
        return switch (kind) {
            case LLAMACPP -> new LlamaCppAdapter(base, options, vertx);
            case VLLM -> new VllmAdapter(base, model, options, vertx);
            case TGI -> new TgiAdapter(base, options, vertx);
            case TRITON -> new TritonAdapter(base, model, options, vertx);
        };
    }
}
