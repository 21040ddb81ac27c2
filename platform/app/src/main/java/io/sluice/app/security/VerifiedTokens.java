package io.sluice.app.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.security.credential.TokenCredential;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.SecurityIdentityAugmentor;
import io.quarkus.security.identity.request.TokenAuthenticationRequest;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.sluice.app.config.SluiceAppConfig;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Remembers bearer tokens the OIDC extension verified, so that the same token presented again is not parsed and
 * signature-checked again. Every task costs a client at least two requests with one token (submit, then stream), and
 * verification (JSON parsing plus an RSA or ECDSA check) was the largest single CPU item per task.
 *
 * <p>How it plugs in: {@link Lookup} is an identity provider for bearer tokens ranked before the OIDC one; it answers
 * from the cache or passes (a null identity lets the next provider, OIDC, verify). {@link Remember} is an augmentor
 * that stores what OIDC verified. A remembered token stays trusted until the earlier of its {@code exp} and
 * {@code sluice.security.verified-token-cache-seconds} after its verification; only identities that came from a
 * verified JWT with an expiry are remembered. The key is the whole token text, so a token that differs in any byte
 * is verified afresh. The cache is per process: another instance verifies the token once itself.
 */
@ApplicationScoped
public class VerifiedTokens {
    private record Entry(SecurityIdentity identity, long validUntilMillis) {}

    private final Cache<String, Entry> cache;
    private final long maxAgeMillis;
    private final Counter hits;
    private final Counter misses;

    @Inject
    public VerifiedTokens(SluiceAppConfig config, MeterRegistry meters) {
        int size = config.security().verifiedTokenCacheSize();
        this.maxAgeMillis = Duration.ofSeconds(config.security().verifiedTokenCacheSeconds()).toMillis();
        this.cache = size <= 0 || maxAgeMillis <= 0
                ? null
                : Caffeine.newBuilder().maximumSize(size).expireAfterWrite(Duration.ofMillis(maxAgeMillis)).build();
        this.hits = Counter.builder("sluice_verified_token_cache_total").tag("result", "hit")
                .description("Bearer tokens answered from the verified-token cache (hit) or verified by OIDC (miss)")
                .register(meters);
        this.misses = Counter.builder("sluice_verified_token_cache_total").tag("result", "miss").register(meters);
    }

    SecurityIdentity lookup(String token) {
        if (cache == null) {
            return null;
        }
        Entry e = cache.getIfPresent(token);
        if (e == null) {
            misses.increment();
            return null;
        }
        if (System.currentTimeMillis() >= e.validUntilMillis) {
            cache.invalidate(token);
            misses.increment();
            return null;
        }
        hits.increment();
        return e.identity;
    }

    void remember(SecurityIdentity identity) {
        if (cache == null || identity.isAnonymous() || !(identity.getPrincipal() instanceof JsonWebToken jwt)) {
            return;
        }
        TokenCredential credential = identity.getCredential(TokenCredential.class);
        long exp = jwt.getExpirationTime();
        if (credential == null || credential.getToken() == null || exp <= 0) {
            return;
        }
        long validUntil = Math.min(exp * 1000L, System.currentTimeMillis() + maxAgeMillis);
        if (validUntil <= System.currentTimeMillis() || cache.getIfPresent(credential.getToken()) != null) {
            return;
        }
        cache.put(credential.getToken(), new Entry(detached(identity), validUntil));
    }

    /**
     * The identity without what belongs to the request that verified it (its routing context), so that a remembered
     * identity neither leaks one request into another nor keeps that request's objects alive.
     */
    private static SecurityIdentity detached(SecurityIdentity identity) {
        Map<String, Object> attributes = identity.getAttributes().entrySet().stream()
                .filter(a -> !(a.getValue() instanceof RoutingContext))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        return QuarkusSecurityIdentity.builder()
                .setPrincipal(identity.getPrincipal())
                .addRoles(identity.getRoles())
                .addCredentials(identity.getCredentials())
                .addAttributes(attributes)
                .setAnonymous(false)
                .build();
    }

    /** Answers a bearer token from the cache, ahead of the OIDC provider; a miss passes to it. */
    @ApplicationScoped
    public static class Lookup implements IdentityProvider<TokenAuthenticationRequest> {
        @Inject
        VerifiedTokens tokens;

        @Override
        public Class<TokenAuthenticationRequest> getRequestType() {
            return TokenAuthenticationRequest.class;
        }

        @Override
        public Uni<SecurityIdentity> authenticate(TokenAuthenticationRequest request, AuthenticationRequestContext context) {
            String token = request.getToken() == null ? null : request.getToken().getToken();
            return Uni.createFrom().item(token == null ? null : tokens.lookup(token));
        }

        @Override
        public int priority() {
            return SYSTEM_FIRST + 1_000; // before OIDC's provider
        }
    }

    /** Stores what the OIDC provider verified. */
    @ApplicationScoped
    public static class Remember implements SecurityIdentityAugmentor {
        @Inject
        VerifiedTokens tokens;

        @Override
        public Uni<SecurityIdentity> augment(SecurityIdentity identity, AuthenticationRequestContext context) {
            tokens.remember(identity);
            return Uni.createFrom().item(identity);
        }

        @Override
        public int priority() {
            return Integer.MIN_VALUE; // after every other augmentor, so the stored identity is the final one
        }
    }
}
