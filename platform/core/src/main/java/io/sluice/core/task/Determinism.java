package io.sluice.core.task;

/** Whether byte-identical output across replicas is required (DET-1). */
public enum Determinism implements WireEnum {
    STRICT("strict"),
    BEST_EFFORT("best_effort");

    private final String wire;

    Determinism(String wire) {
        this.wire = wire;
    }

    @Override
    public String wire() {
        return wire;
    }
}
