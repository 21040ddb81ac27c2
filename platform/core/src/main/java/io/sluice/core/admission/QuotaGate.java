package io.sluice.core.admission;

import io.sluice.core.task.TaskSpec;

/**
 * The quota step of admission (SPEC ADM-2, SCH-3). {@link #NONE} enforces nothing.
 */
public interface QuotaGate {
    QuotaGate NONE = (spec, snapshot) -> {};

    /** @throws io.sluice.core.error.SluiceException QUOTA_EXCEEDED with a retry hint */
    void check(TaskSpec spec, AdmissionSnapshot snapshot);

    /**
     * Gives back what a passed {@link #check} took for {@code spec}, when the task is then not admitted after all: a
     * later stage refused it, its record was not written, or it turned out to be a re-post of a task recorded earlier.
     * Call at most once per passed check.
     */
    default void refund(TaskSpec spec) {}
}
