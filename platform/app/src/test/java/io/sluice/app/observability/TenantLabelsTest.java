package io.sluice.app.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TenantLabelsTest {

    @Test
    @DisplayName("tenant labels: the first N tenants keep their id, later ones are 'other', and no tenant changes label")
    void boundedAndStable() {
        TenantLabels labels = new TenantLabels(3);
        assertThat(labels.of("a")).isEqualTo("a");
        assertThat(labels.of("b")).isEqualTo("b");
        assertThat(labels.of("a")).isEqualTo("a");
        assertThat(labels.of("c")).isEqualTo("c");
        assertThat(labels.of("d")).isEqualTo("other");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            seen.add(labels.of("tenant-" + i));
        }
        assertThat(seen).containsExactly("other");
        assertThat(labels.of("b")).isEqualTo("b");
        assertThat(labels.of("d")).isEqualTo("other");
    }

    @Test
    @DisplayName("tenant labels: a limit of 0 labels every tenant 'other'")
    void zeroLimit() {
        assertThat(new TenantLabels(0).of("a")).isEqualTo("other");
    }
}
