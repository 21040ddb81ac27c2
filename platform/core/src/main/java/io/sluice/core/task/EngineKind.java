package io.sluice.core.task;

/** Inference engines Sluice speaks to (POOL-4). */
public enum EngineKind implements WireEnum {
    LLAMACPP("llamacpp"),
    VLLM("vllm"),
    TGI("tgi"),
    TRITON("triton");

    private final String wire;

    EngineKind(String wire) {
        this.wire = wire;
    }

    @Override
    public String wire() {
        return wire;
    }
}
