package io.sluice.core.task;

/** The kind of work a task asks for. */
public enum Workload implements WireEnum {
    COMPLETION("completion"),
    EMBEDDING("embedding"),
    RERANK("rerank");

    private final String wire;

    Workload(String wire) {
        this.wire = wire;
    }

    @Override
    public String wire() {
        return wire;
    }
}
