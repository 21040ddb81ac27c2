package io.sluice.engines;

import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.task.EngineKind;
import java.net.URI;

/** Creates the adapter for an engine kind. */
public final class EngineAdapters {
    private EngineAdapters() {}

    /**
     * @param kind engine protocol
     * @param base replica base URL
     * @param model model name as the engine knows it (used in vLLM and Triton paths and bodies)
     */
    public static EngineAdapter create(EngineKind kind, URI base, String model) {
        return switch (kind) {
            case LLAMACPP -> new LlamaCppAdapter(base);
            case VLLM, TGI, TRITON -> throw new UnsupportedOperationException(
                    "the " + kind.wire() + " adapter has not landed yet; configure llamacpp pools");
        };
    }
}
