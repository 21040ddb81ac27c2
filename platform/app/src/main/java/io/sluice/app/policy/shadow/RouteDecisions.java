package io.sluice.app.policy.shadow;

import io.sluice.policy.host.RouteInput;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How diff reports name a {@code route} decision (POL-8, ADR 0036): the pools of the chosen replicas in preference
 * order, each once, joined by {@code >} (for example {@code pool-a>pool-b}). Replica ids come and go with scaling and
 * an order within one pool follows free slots from one task to the next; the pool order is what a tenant's route
 * rule expresses and stays comparable across tasks, so two orders count as agreeing when they rank the same pools
 * the same way.
 */
public final class RouteDecisions {
    /** Separates pools in a route decision; pool ids never contain it. */
    public static final String SEPARATOR = ">";

    private RouteDecisions() {}

    /** The decision name of a valid order over {@code candidates}. */
    public static String label(List<String> order, List<RouteInput.Candidate> candidates) {
        Map<String, String> poolOf = new HashMap<>();
        for (RouteInput.Candidate c : candidates) {
            poolOf.put(c.replicaId(), c.poolId());
        }
        Set<String> pools = new LinkedHashSet<>();
        for (String replica : order) {
            // The host only returns candidates; an unknown id would be a host bug, shown as itself rather than hidden.
            pools.add(poolOf.getOrDefault(replica, replica));
        }
        return String.join(SEPARATOR, pools);
    }
}
