package io.sluice.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What a pool does when a priority's queue is full (SPEC ADM-4, ADM-5). */
public enum FullPolicy {
    /** The new task is refused with ADMISSION_REJECT. */
    REJECT("reject"),
    /** The oldest waiting task ends with QUEUE_FULL_DROP_LRU and the new one is admitted. */
    DROP_LRU("drop-lru"),
    /** A waiting lower-priority task ends with QUEUE_FULL_SHED; without one the new task is refused. */
    SHED_LOW_PRIORITY("shed-low-priority");

    private final String label;

    FullPolicy(String label) {
        this.label = label;
    }

    /** The full policy name used in {@code policy_label} and metrics. */
    @JsonValue
    public String label() {
        return label;
    }

    @JsonCreator
    public static FullPolicy fromLabel(String label) {
        for (FullPolicy p : values()) {
            if (p.label.equals(label)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown queue full_policy '" + label + "' (reject, drop-lru, shed-low-priority)");
    }
}
