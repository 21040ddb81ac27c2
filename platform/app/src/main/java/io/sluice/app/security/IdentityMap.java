package io.sluice.app.security;

import java.util.Optional;

/** Identity mappings (SCH-3, SEC-2): which tenant a token issuer and tenant claim value belong to. Served from memory. */
public interface IdentityMap {
    /** The tenant an admin mapped this identity to, if any. */
    Optional<String> tenantOf(String issuer, String claimValue);
}
