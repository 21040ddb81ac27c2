package io.sluice.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DeviceMaskTest {
    @Test
    @DisplayName("indices and inclusive ranges parse to one set, printed ascending with runs of three or more as ranges")
    void parsesListsAndRanges() {
        assertThat(DeviceMask.parse("0")).hasToString("0");
        assertThat(DeviceMask.parse("1, 0")).hasToString("0,1");
        assertThat(DeviceMask.parse("0-3,6")).hasToString("0-3,6");
        assertThat(DeviceMask.parse("3,2,1,0,6,7")).hasToString("0-3,6,7");
        assertThat(DeviceMask.parse("4-4")).isEqualTo(DeviceMask.parse("4"));
    }

    @Test
    @DisplayName("covers, outside and shared answer on device indices")
    void membership() {
        DeviceMask m = DeviceMask.parse("0-1,4");
        assertThat(m.covers(List.of(0, 4))).isTrue();
        assertThat(m.covers(List.of())).isTrue();
        assertThat(m.covers(List.of(1, 2))).isFalse();
        assertThat(m.outside(List.of(4, 5, 0, 9))).containsExactly(5, 9);
        assertThat(m.shared(DeviceMask.parse("1-5"))).containsExactly(1, 4);
    }

    @Test
    @DisplayName("empty lists, words, backward ranges and absurd indices are refused with the reason")
    void refusesBadText() {
        assertThatThrownBy(() -> DeviceMask.parse(" ")).hasMessageContaining("at least one GPU index");
        assertThatThrownBy(() -> DeviceMask.parse("gpu0")).hasMessageContaining("'gpu0' is not a list of GPU indices");
        assertThatThrownBy(() -> DeviceMask.parse("0,,1")).hasMessageContaining("is not a list");
        assertThatThrownBy(() -> DeviceMask.parse("-1")).hasMessageContaining("is not a list");
        assertThatThrownBy(() -> DeviceMask.parse("3-1")).hasMessageContaining("runs backwards; write it as 1-3");
        assertThatThrownBy(() -> DeviceMask.parse("1024")).hasMessageContaining("above 1023");
        assertThatThrownBy(() -> DeviceMask.parse("99999999999")).hasMessageContaining("is not a list");
    }
}
