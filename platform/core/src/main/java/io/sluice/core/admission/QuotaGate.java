package io.sluice.core.admission;

import io.sluice.core.task.TaskSpec;

/**
 * The quota step of admission (SPEC ADM-2, SCH-3). {@link #NONE} enforces nothing.
 */
public interface QuotaGate {
    QuotaGate NONE = (spec, snapshot) -> {};

    /** @throws io.sluice.core.error.SluiceException QUOTA_EXCEEDED with a retry hint */
    void check(TaskSpec spec, AdmissionSnapshot snapshot);
}
