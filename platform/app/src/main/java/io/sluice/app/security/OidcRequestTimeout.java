package io.sluice.app.security;

import io.quarkus.arc.Unremovable;
import io.quarkus.oidc.common.OidcRequestFilter;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Bounds every call Sluice makes to the OIDC provider (discovery, JWKS) by {@code quarkus.oidc.connection-timeout}
 * for the answer too, not only for opening the connection. The extension applies that setting to the connect alone,
 * so a provider that accepts connections and never answers (wedged, overloaded, a black-holing proxy) held the
 * request that triggered a JWKS refresh without end: with a token of an unknown key, a client waited over a minute
 * for its 401 (REL-4, {@code OidcHangingProviderTest}). With this filter the refresh fails after the timeout and the
 * request is refused at once.
 */
@ApplicationScoped
@Unremovable // looked up by the OIDC extension at run time, injected nowhere
public class OidcRequestTimeout implements OidcRequestFilter {
    private final long timeoutMs;

    public OidcRequestTimeout(@ConfigProperty(name = "quarkus.oidc.connection-timeout", defaultValue = "10S") Duration timeout) {
        this.timeoutMs = Math.max(1, timeout.toMillis());
    }

    @Override
    public void filter(OidcRequestContext context) {
        context.request().timeout(timeoutMs);
    }
}
