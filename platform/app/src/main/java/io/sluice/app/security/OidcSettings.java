package io.sluice.app.security;

import io.quarkus.runtime.StartupEvent;
import io.sluice.app.config.SluiceAppConfig;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Says at start-up which identity settings are in force, and refuses to start on settings that would make every
 * request fail (an operator otherwise learns it from a wall of 403s). Runs before the schema migration, so a refusal
 * changes nothing.
 */
@ApplicationScoped
public class OidcSettings {
    private static final Logger LOG = Logger.getLogger(OidcSettings.class);
    /** A claim name, or a slash-separated path of names (Quarkus' role claim path syntax, e.g. realm_access/roles). */
    static final Pattern CLAIM_PATH = Pattern.compile("^[A-Za-z0-9_.:\\-]+(/[A-Za-z0-9_.:\\-]+)*$");
    private static final Pattern CLAIM_NAME = Pattern.compile("^[A-Za-z0-9_.:\\-]{1,128}$");

    @Inject
    SluiceAppConfig config;

    @ConfigProperty(name = "quarkus.oidc.auth-server-url")
    Optional<String> issuer;

    @ConfigProperty(name = "quarkus.oidc.token.audience")
    Optional<List<String>> audience;

    @ConfigProperty(name = "quarkus.oidc.roles.role-claim-path")
    Optional<List<String>> roleClaimPath;

    void report(@Observes @Priority(2) StartupEvent ev) {
        String summary = check(issuer.orElse(null), audience.orElse(List.of()), roleClaimPath.orElse(List.of()),
                config.security().tenantClaim());
        LOG.info(summary);
    }

    /**
     * @return the one-line summary to log
     * @throws IllegalStateException naming the setting, when a setting cannot work
     */
    static String check(String issuerUrl, List<String> audience, List<String> roleClaimPaths, String tenantClaim) {
        if (issuerUrl == null || issuerUrl.isBlank()) {
            throw new IllegalStateException("refusing to start: quarkus.oidc.auth-server-url (QUARKUS_OIDC_AUTH_SERVER_URL) is not set;"
                    + " point it at your OIDC provider's issuer URL");
        }
        if (tenantClaim == null || !CLAIM_NAME.matcher(tenantClaim).matches()) {
            throw new IllegalStateException("refusing to start: sluice.security.tenant-claim (SLUICE_SECURITY_TENANT_CLAIM) must be a"
                    + " claim name of 1..128 letters, digits, '_', '.', ':' or '-', got '" + tenantClaim + "'");
        }
        if (roleClaimPaths.isEmpty()) {
            throw new IllegalStateException("refusing to start: quarkus.oidc.roles.role-claim-path (QUARKUS_OIDC_ROLES_ROLE_CLAIM_PATH)"
                    + " is not set; name the claim holding the roles 'tenant' and 'admin' (e.g. roles, groups, realm_access/roles)");
        }
        for (String p : roleClaimPaths) {
            if (!CLAIM_PATH.matcher(p).matches()) {
                throw new IllegalStateException("refusing to start: quarkus.oidc.roles.role-claim-path has an invalid claim path '" + p
                        + "'; use claim names separated by '/'");
            }
        }
        return "OIDC: issuer " + issuerUrl + ", audience " + (audience.isEmpty() ? "(not checked)" : String.join(",", audience))
                + ", tenant claim '" + tenantClaim + "', role claim path " + String.join(",", roleClaimPaths)
                + " (roles 'tenant' and 'admin'), tokens verified locally (no introspection)";
    }
}
