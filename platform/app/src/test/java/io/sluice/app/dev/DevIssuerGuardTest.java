package io.sluice.app.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quarkus.runtime.LaunchMode;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DevIssuerGuardTest {

    @Test
    @DisplayName("SEC-1 the dev issuer cannot be trusted outside the dev and test profiles")
    void refusesDevIssuerInProduction() {
        assertThatThrownBy(() -> DevIssuerGuard.decide(List.of("prod"), LaunchMode.NORMAL, "http://localhost:4000/sluice-dev"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refusing to start");
        assertThatThrownBy(() -> DevIssuerGuard.decide(List.of("prod"), LaunchMode.NORMAL, "http://127.0.0.1:4000/sluice-dev/"))
                .isInstanceOf(IllegalStateException.class);
        assertThat(DevIssuerGuard.decide(List.of("dev"), LaunchMode.NORMAL, "http://localhost:4000/sluice-dev")).isTrue();
        assertThat(DevIssuerGuard.decide(List.of("test"), LaunchMode.TEST, "http://localhost:4000/sluice-dev")).isTrue();
        assertThat(DevIssuerGuard.decide(List.of("prod"), LaunchMode.NORMAL, "https://login.example.org/realms/sluice")).isFalse();
    }
}
