package io.sluice.core.task;

/** Whether the task wants to reuse its session's KV cache. */
public enum KvHint implements WireEnum {
    REUSE("reuse"),
    COLD("cold");

    private final String wire;

    KvHint(String wire) {
        this.wire = wire;
    }

    @Override
    public String wire() {
        return wire;
    }
}
