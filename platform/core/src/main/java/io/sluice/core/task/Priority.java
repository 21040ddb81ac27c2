package io.sluice.core.task;

/** Scheduling class of a task; interactive outweighs batch in fair queuing (SCH-1). */
public enum Priority implements WireEnum {
    INTERACTIVE("interactive"),
    BATCH("batch");

    private final String wire;

    Priority(String wire) {
        this.wire = wire;
    }

    @Override
    public String wire() {
        return wire;
    }
}
