package io.sluice.core.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class LifecycleTest {
    /** The contract's x-sluice-legal-transitions, written out independently of the table under test. */
    private static final Map<ModelState, Set<ModelState>> CONTRACT = Map.of(
            ModelState.Draft, Set.of(ModelState.Active),
            ModelState.Active, Set.of(ModelState.Canary, ModelState.Deprecated),
            ModelState.Canary, Set.of(ModelState.Active, ModelState.Deprecated),
            ModelState.Deprecated, Set.of(ModelState.Retired),
            ModelState.Retired, Set.of());

    @Test
    @DisplayName("LIFE-1 every one of the 25 state pairs is legal exactly when the contract lists it; illegal ones are CONFLICT")
    void everyPairMatchesTheContract() {
        int legal = 0;
        for (ModelState from : ModelState.values()) {
            for (ModelState to : ModelState.values()) {
                if (CONTRACT.get(from).contains(to)) {
                    Lifecycle.requireLegal(from, to);
                    legal++;
                } else {
                    assertThatThrownBy(() -> Lifecycle.requireLegal(from, to))
                            .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.error().code()).isEqualTo(ErrorCode.CONFLICT));
                }
            }
        }
        assertThat(legal).isEqualTo(6);
    }

    @Test
    void canarySplitIsStablePerSessionAndFollowsThePercentages() {
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        List<CanarySplit.Target> split = List.of(new CanarySplit.Target(a, 90), new CanarySplit.Target(b, 10));
        int toB = 0;
        List<UUID> sessions = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            UUID s = UUID.randomUUID();
            sessions.add(s);
            UUID first = CanarySplit.pick("chat", s, split);
            assertThat(CanarySplit.pick("chat", s, split)).isEqualTo(first);
            if (first.equals(b)) {
                toB++;
            }
        }
        assertThat(toB).isBetween(350, 650);
        // Growing the canary from 10 to 20 % only moves sessions from a to b, never back.
        List<CanarySplit.Target> wider = List.of(new CanarySplit.Target(a, 80), new CanarySplit.Target(b, 20));
        for (UUID s : sessions) {
            if (CanarySplit.pick("chat", s, split).equals(b)) {
                assertThat(CanarySplit.pick("chat", s, wider)).isEqualTo(b);
            }
        }
    }
}
