package io.sluice.core.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.SluiceConfig;
import io.sluice.core.engine.EngineProbe;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The pool's agreement on one engine build (POOL-1, ADR 0018), driven by probe answers as the prober hands them
 * over. No engine is contacted here: the answers are the input under test (the HTTP path with the simulator is in
 * platform/app's ReplicaSetExclusionTest).
 */
class EngineAgreementTest {

    private static Pool pool(int replicas) throws Exception {
        StringBuilder yaml = new StringBuilder("""
                pools:
                  - id: p
                    model: m
                    engine: llamacpp
                    replicas:
                """);
        for (int i = 0; i < replicas; i++) {
            yaml.append("      - {id: r").append(i).append(", url: \"http://127.0.0.1:").append(1 + i).append("\"}\n");
        }
        SluiceConfig config = new ConfigLoader(true).parse(yaml.toString());
        return new PoolRegistry(config, (pc, rc) -> null, t -> 1.0).pool("p").orElseThrow();
    }

    private static EngineProbe build(String version) {
        return new EngineProbe(version, null, "m", 4096, 2, 0);
    }

    /** As the prober does: report, then Ready only when the answer is in the agreement. */
    private static boolean probe(Pool pool, int replica, String version) {
        Replica r = pool.replicas().get(replica);
        EngineProbe p = build(version);
        Pool.Agreement a = pool.report(r, p);
        for (Replica again : a.agreeingAgain()) {
            probe(pool, pool.replicas().indexOf(again), again.reported().engineVersion());
        }
        if (!EngineAgreement.matches(a.agreed(), p)) {
            r.markExcluded(p, Pool.mismatch(p, a.agreed()));
            return false;
        }
        return pool.markReadyIfAgreed(r, p);
    }

    @Test
    @DisplayName("a tie between two builds goes to the build of the lowest replica id, whichever answers first")
    void tieGoesToLowestReplicaId() throws Exception {
        Pool first = pool(2);
        assertThat(probe(first, 1, "v2")).isTrue();
        assertThat(probe(first, 0, "v1")).isTrue();
        assertThat(first.replicas()).extracting(Replica::state).containsExactly(ReplicaState.READY, ReplicaState.EXCLUDED);
        assertThat(first.replicas().get(1).lastError()).contains("engine_version v2").contains("serves engine_version v1");

        Pool second = pool(2);
        assertThat(probe(second, 0, "v1")).isTrue();
        assertThat(probe(second, 1, "v2")).isFalse();
        assertThat(second.replicas()).extracting(Replica::state).containsExactly(ReplicaState.READY, ReplicaState.EXCLUDED);
    }

    @Test
    @DisplayName("the build most replicas report wins: one replica upgraded ahead of the others is the one excluded")
    void majorityWins() throws Exception {
        Pool pool = pool(3);
        probe(pool, 0, "v2");
        probe(pool, 1, "v1");
        assertThat(pool.replicas().get(1).state()).as("a tie goes to r0's build").isEqualTo(ReplicaState.EXCLUDED);
        // r2's answer makes v1 the majority: r0 is excluded and r1, excluded for v1, is asked again at once.
        Pool.Agreement moved = pool.report(pool.replicas().get(2), build("v1"));
        assertThat(moved.excluded()).extracting(Replica::id).containsExactly("r0");
        assertThat(moved.agreeingAgain()).extracting(Replica::id).containsExactly("r1");
        probe(pool, 1, "v1");
        probe(pool, 2, "v1");
        assertThat(pool.replicas()).extracting(Replica::state)
                .containsExactly(ReplicaState.EXCLUDED, ReplicaState.READY, ReplicaState.READY);
    }

    @Test
    @DisplayName("when the agreement moves, Ready replicas of the old build are excluded in the same step, never two builds Ready")
    void movingAgreementExcludesTheOldBuildAtOnce() throws Exception {
        Pool pool = pool(3);
        probe(pool, 0, "v1");
        probe(pool, 1, "v2");
        assertThat(readyVersions(pool)).containsExactly("v1");
        // r2 arrives with v2: two against one.
        Pool.Agreement a = pool.report(pool.replicas().get(2), build("v2"));
        assertThat(a.agreed().engineVersion()).isEqualTo("v2");
        assertThat(a.excluded()).extracting(Replica::id).containsExactly("r0");
        assertThat(readyVersions(pool)).isEmpty();
        assertThat(pool.markReadyIfAgreed(pool.replicas().get(2), build("v2"))).isTrue();
        assertThat(readyVersions(pool)).containsExactly("v2");
    }

    @Test
    @DisplayName("a Ready replica whose engine restarted with another build is excluded by its own next answer")
    void readyReplicaRestartedWithAnotherBuild() throws Exception {
        Pool pool = pool(3);
        probe(pool, 0, "v1");
        probe(pool, 1, "v1");
        probe(pool, 2, "v1");
        assertThat(probe(pool, 2, "v2")).isFalse();
        assertThat(pool.replicas()).extracting(Replica::state)
                .containsExactly(ReplicaState.READY, ReplicaState.READY, ReplicaState.EXCLUDED);
        // The same replica back on the agreed build serves again.
        assertThat(probe(pool, 2, "v1")).isTrue();
        assertThat(readyVersions(pool)).containsExactly("v1", "v1", "v1");
    }

    @Test
    @DisplayName("a replica that warmed up while the agreement moved away from its build is not made Ready")
    void agreementMovedDuringWarmup() throws Exception {
        Pool pool = pool(3);
        Replica r0 = pool.replicas().get(0);
        EngineProbe v1 = build("v1");
        assertThat(EngineAgreement.matches(pool.report(r0, v1).agreed(), v1)).isTrue();
        // While r0 runs its warm-up decode, r1 and r2 answer with v2.
        probe(pool, 1, "v2");
        assertThat(pool.report(pool.replicas().get(2), build("v2")).agreeingAgain()).extracting(Replica::id).containsExactly("r1");
        assertThat(pool.markReadyIfAgreed(r0, v1)).isFalse();
        probe(pool, 1, "v2");
        probe(pool, 2, "v2");
        assertThat(readyVersions(pool)).containsExactly("v2", "v2");
    }

    private static List<String> readyVersions(Pool pool) {
        return pool.replicas().stream().filter(r -> r.state() == ReplicaState.READY).map(r -> r.probe().engineVersion()).toList();
    }
}
