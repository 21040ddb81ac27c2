package io.sluice.enginesim;

import java.util.Arrays;
import java.util.Locale;

/** The inference engines whose HTTP protocol the simulator speaks. */
public enum EngineKind {
    /** llama.cpp {@code llama-server}: {@code /completion}, {@code /health}, {@code /props}, {@code /slots}, {@code /metrics}. */
    LLAMACPP("llamacpp", "b4242"),
    /** vLLM's OpenAI-compatible server: {@code /v1/completions}, {@code /health}, {@code /version}, {@code /v1/models}. */
    VLLM("vllm", "0.6.3"),
    /** Hugging Face Text Generation Inference: {@code /generate}, {@code /generate_stream}, {@code /health}, {@code /info}. */
    TGI("tgi", "2.4.0"),
    /** NVIDIA Triton with the generate extension and the model repository extension. */
    TRITON("triton", "2.51.0");

    private final String id;
    private final String defaultVersion;

    EngineKind(String id, String defaultVersion) {
        this.id = id;
        this.defaultVersion = defaultVersion;
    }

    /** The lower-case name used on the command line and in the ports file. */
    public String id() {
        return id;
    }

    /** The engine_version an instance reports when none is configured. */
    public String defaultVersion() {
        return defaultVersion;
    }

    /**
     * Parses a command-line engine name.
     *
     * @throws IllegalArgumentException for an unknown name; the message lists the known ones
     */
    public static EngineKind fromId(String id) {
        String wanted = id.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values())
                .filter(k -> k.id.equals(wanted))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        "unknown engine '" + id + "', expected one of llamacpp|vllm|tgi|triton"));
    }
}
