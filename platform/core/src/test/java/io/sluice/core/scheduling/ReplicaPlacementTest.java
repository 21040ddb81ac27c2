package io.sluice.core.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.config.SluiceConfig.PoolConfig;
import io.sluice.core.engine.EngineProbe;
import io.sluice.core.task.EngineKind;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Which replica of a pool a dispatched task goes to (SCH-6), on the pool's own replica bookkeeping. */
class ReplicaPlacementTest {

    private static Replica ready(String id, int engineSlots) {
        Replica r = new Replica(id, "p", null, Map.of());
        r.markReady(new EngineProbe("v1", null, "m", 4096, engineSlots, 0));
        return r;
    }

    private static Pool pool(Replica... replicas) {
        return new Pool(new PoolConfig("p", "m", EngineKind.LLAMACPP, "0", null, null, null, null, null, null, null), List.of(replicas), k -> 1.0);
    }

    private static String placed(Pool pool) {
        return pool.place(Set.of(), List.of()).map(Replica::id).orElse(null);
    }

    @Test
    @DisplayName("SCH-6 only Ready replicas are placed on, the one with the most free slots the engine reports first")
    void readyOnlyMostFreeSlotsFirst() {
        Replica small = ready("r0", 2);
        Replica large = ready("r1", 4);
        Replica failed = ready("r2", 8);
        failed.markFailed(ReplicaState.DOWN, "probe failed");
        Pool pool = pool(small, large, failed);

        assertThat(placed(pool)).as("r2 reports most slots but is not Ready").isEqualTo("r1");
        large.acquire();
        large.acquire();
        large.acquire();
        assertThat(placed(pool)).as("r1 has 1 free slot, r0 2").isEqualTo("r0");
        small.acquire();
        small.acquire();
        large.acquire();
        assertThat(placed(pool)).as("no Ready replica has a free slot").isNull();
    }

    @Test
    @DisplayName("SCH-6 ties in free slots go to the replica with fewer tasks in flight, then to the lowest replica id, whatever the"
            + " configured order")
    void deterministicTieBreak() {
        Replica b = ready("r1", 2);
        Replica a = ready("r0", 2);
        assertThat(placed(pool(b, a))).as("equal replicas: lowest id").isEqualTo("r0");
        assertThat(placed(pool(a, b))).isEqualTo("r0");

        Replica busyLarge = ready("r0", 4);
        busyLarge.acquire();
        busyLarge.acquire();
        Replica idleSmall = ready("r1", 2);
        assertThat(placed(pool(busyLarge, idleSmall))).as("2 free slots each: fewer in flight wins over the lower id").isEqualTo("r1");
    }

    @Test
    @DisplayName("SCH-6 session affinity first: the replica that served the session last wins while it has a free slot; a route"
            + " preference narrows the candidates to the replicas it names")
    void affinityFirstAndRouteNarrows() {
        Replica r0 = ready("r0", 4);
        Replica r1 = ready("r1", 1);
        Pool pool = pool(r0, r1);

        assertThat(pool.place(Set.of(), List.of(), "p/r1").map(Replica::id)).as("affine r1 although r0 has more free slots").contains("r1");
        r1.acquire();
        assertThat(pool.place(Set.of(), List.of(), "p/r1").map(Replica::id)).as("affine replica full: least loaded").contains("r0");
        r1.release();
        assertThat(pool.place(Set.of(), List.of("p/r1"), null).map(Replica::id)).as("route names only r1").contains("r1");
        r1.acquire();
        assertThat(pool.place(Set.of(), List.of("p/r1"), null)).as("the route's replica is full: no spill to r0").isEmpty();
    }
}
