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
        return create(kind, base, model, EngineOptions.DEFAULTS);
    }

    /**
     * @param apiKey the replica's credential ({@code api_key} of its pool YAML entry), or {@code null}
     */
    public static EngineAdapter create(EngineKind kind, URI base, String model, String apiKey) {
        return create(kind, base, model, EngineOptions.DEFAULTS.withApiKey(apiKey));
    }

    public static EngineAdapter create(EngineKind kind, URI base, String model, EngineOptions options) {
        return switch (kind) {
            case LLAMACPP -> new LlamaCppAdapter(base, options);
            case VLLM -> new VllmAdapter(base, model, options);
            case TGI -> new TgiAdapter(base, options);
            case TRITON -> new TritonAdapter(base, model, options);
        };
    }
}
