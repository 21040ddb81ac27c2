package io.sluice.core.admission;

import io.sluice.core.scheduling.ReplicaCandidate;
import io.sluice.core.task.TaskSpec;
import java.util.List;

/**
 * The tenant policy {@code route} step (POL-1, SCH-6): orders or narrows the Ready replicas that could run a
 * task. It can never add a candidate. {@link #NONE} leaves placement to the scheduler.
 */
public interface RouteHook {
    RouteHook NONE = (spec, snapshot, candidates) -> List.of();

    /**
     * @param spec the admitted task
     * @param snapshot the state admission decides on
     * @param candidates Ready replicas of the pools serving the task's model
     * @return replica ids (a non-empty subset of the candidates) in preference order, or an empty list when
     *     no route policy applies
     * @throws io.sluice.core.error.SluiceException POLICY_ERROR when a fail-closed route policy fails
     */
    List<String> route(TaskSpec spec, AdmissionSnapshot snapshot, List<ReplicaCandidate> candidates);
}
