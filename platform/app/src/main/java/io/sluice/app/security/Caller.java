package io.sluice.app.security;

import io.quarkus.security.identity.SecurityIdentity;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import java.util.regex.Pattern;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * Who is calling (SEC-2): the tenant comes from the token's issuer and a configurable claim (ADR 0012). An identity an
 * admin mapped ({@link IdentityMap}) is its mapped tenant. An unmapped identity is the tenant its claim value names
 * only when the token came from the default OIDC issuer; tokens of any further configured issuer must be mapped, so
 * that two issuers using the same claim value never become one tenant. A tenant-role token without the claim, or with
 * an unusable value, is refused.
 */
@RequestScoped
public class Caller {
    public static final String TENANT = "tenant";
    public static final String ADMIN = "admin";
    private static final Pattern TENANT_ID = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$");

    @Inject
    SecurityIdentity identity;

    @Inject
    JsonWebToken jwt;

    @Inject
    SluiceAppConfig config;

    @Inject
    IdentityMap identities;

    /** The OIDC tenant (issuer configuration) Quarkus sets on identities it verified; absent or this for the default one. */
    private static final String OIDC_TENANT_ATTRIBUTE = "tenant-id";
    private static final String DEFAULT_OIDC_TENANT = "Default";

    /** The calling tenant's id. */
    public String tenantId() {
        return tenantIdOf(identity, jwt, config, identities);
    }

    /** The tenant id of an authenticated identity, for callers outside a CDI request (the stream route). */
    public static String tenantIdOf(SecurityIdentity identity, SluiceAppConfig config, IdentityMap identities) {
        JsonWebToken token = identity.getPrincipal() instanceof JsonWebToken j ? j : null;
        return tenantIdOf(identity, token, config, identities);
    }

    private static String tenantIdOf(SecurityIdentity identity, JsonWebToken jwt, SluiceAppConfig config, IdentityMap identities) {
        if (!identity.hasRole(TENANT)) {
            throw new SluiceException(SluiceError.of(ErrorCode.FORBIDDEN, "this operation needs the tenant role")
                    .withStage(AdmissionStage.AUTHENTICATE));
        }
        Object claim = jwt == null ? null : jwt.getClaim(config.security().tenantClaim());
        String id = claim == null ? null : claim.toString();
        if (id != null && id.startsWith("\"") && id.endsWith("\"") && id.length() >= 2) {
            id = id.substring(1, id.length() - 1); // JSON string claim values may arrive quoted
        }
        if (id == null || !TENANT_ID.matcher(id).matches()) {
            throw new SluiceException(SluiceError.of(ErrorCode.FORBIDDEN,
                            "the token has the tenant role but no usable '" + config.security().tenantClaim() + "' claim")
                    .withStage(AdmissionStage.AUTHENTICATE));
        }
        String issuer = jwt.getIssuer();
        if (issuer != null) {
            var mapped = identities.tenantOf(issuer, id);
            if (mapped.isPresent()) {
                return mapped.get();
            }
        }
        Object oidcTenant = identity.getAttribute(OIDC_TENANT_ATTRIBUTE);
        if (oidcTenant != null && !DEFAULT_OIDC_TENANT.equals(oidcTenant)) {
            throw new SluiceException(SluiceError.of(ErrorCode.FORBIDDEN,
                            "the token's identity is not mapped to a tenant; an admin maps it with POST /v1/tenants/{tenant_id}/identities")
                    .withStage(AdmissionStage.AUTHENTICATE));
        }
        return id;
    }

    public String subject() {
        return identity.getPrincipal() == null ? null : identity.getPrincipal().getName();
    }
}
