package io.sluice.app.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class OidcSettingsTest {
    private static final String ISSUER = "https://login.example.org/realms/sluice";

    @Test
    @DisplayName("the start-up summary names the issuer, audience, tenant claim and role claim path in force")
    void summaryNamesTheSettings() {
        String s = OidcSettings.check(ISSUER, List.of("sluice"), List.of("realm_access/roles"), "tenant_id");
        assertThat(s).contains(ISSUER).contains("audience sluice").contains("tenant claim 'tenant_id'")
                .contains("role claim path realm_access/roles");
    }

    @Test
    @DisplayName("settings that would refuse every request stop the start with the setting's name")
    void unusableSettingsRefuseToStart() {
        assertThatThrownBy(() -> OidcSettings.check(null, List.of(), List.of("roles"), "tenant_id"))
                .hasMessageContaining("QUARKUS_OIDC_AUTH_SERVER_URL");
        assertThatThrownBy(() -> OidcSettings.check(ISSUER, List.of(), List.of(), "tenant_id"))
                .hasMessageContaining("QUARKUS_OIDC_ROLES_ROLE_CLAIM_PATH");
        assertThatThrownBy(() -> OidcSettings.check(ISSUER, List.of(), List.of("realm_access//roles"), "tenant_id"))
                .hasMessageContaining("invalid claim path");
        assertThatThrownBy(() -> OidcSettings.check(ISSUER, List.of(), List.of("roles"), "tenant id"))
                .hasMessageContaining("SLUICE_SECURITY_TENANT_CLAIM");
    }
}
