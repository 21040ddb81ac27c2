package io.sluice.core.admission;

import java.util.Map;

/**
 * The explicit state one admission decides on, taken once and handed to every step (POL-1 snapshot): host
 * time, the tenant, its live usage on this instance, and the queue depths of the pools that could serve the task.
 *
 * @param queueDepths waiting tasks per pool id, in pool order
 * @param modelState lifecycle state of the requested model
 */
public record AdmissionSnapshot(
        long hostTimeMs, TenantSnapshot tenant, int tenantQueued, int tenantRunning, Map<String, Integer> queueDepths, String modelState) {
    public AdmissionSnapshot {
        queueDepths = Map.copyOf(queueDepths);
    }
}
