package io.sluice.app.dev;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigUtils;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Makes the dev OIDC issuer impossible to trust by accident: outside the {@code dev} and {@code test}
 * profiles the platform refuses to start when its issuer is the dev stack's ({@code .../sluice-dev}), and
 * inside them it says loudly that tokens are handed out freely.
 */
@ApplicationScoped
public class DevIssuerGuard {
    private static final Logger LOG = Logger.getLogger(DevIssuerGuard.class);
    static final String DEV_ISSUER_SUFFIX = "/sluice-dev";

    @ConfigProperty(name = "quarkus.oidc.auth-server-url")
    Optional<String> issuer;

    void check(@Observes @Priority(1) StartupEvent ev) {
        if (decide(ConfigUtils.getProfiles(), LaunchMode.current(), issuer.orElse(null))) {
            LOG.warn("DEV PROFILE: trusting the local dev OIDC issuer " + issuer.get()
                    + " — it mints tenant and admin tokens for anyone on this machine. Never run this in production.");
        }
    }

    /**
     * Whether the configured issuer is the dev issuer.
     *
     * @throws IllegalStateException when it is, outside the dev and test profiles
     */
    static boolean decide(List<String> profiles, LaunchMode mode, String issuerUrl) {
        boolean devIssuer = issuerUrl != null && issuerUrl.replaceAll("/+$", "").endsWith(DEV_ISSUER_SUFFIX);
        boolean devProfile = profiles.contains("dev") || profiles.contains("test") || mode != LaunchMode.NORMAL;
        if (devIssuer && !devProfile) {
            throw new IllegalStateException("refusing to start: quarkus.oidc.auth-server-url points at the dev issuer ("
                    + issuerUrl + ") outside the dev profile; configure your real OIDC provider");
        }
        return devIssuer;
    }
}
