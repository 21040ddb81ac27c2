package io.sluice.app.policy;

import io.sluice.policy.host.Hook;
import io.sluice.policy.host.PolicyModule;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;
import java.util.UUID;

/**
 * A binding as admission uses it: compiled modules ready to call.
 *
 * @param canary canary module, or null
 * @param canaryPercent share of sessions sent to the canary (0..100)
 */
record ActiveBinding(
        String tenantId, String name, Set<Hook> hooks, boolean failOpen, PolicyModule primary, PolicyModule canary, int canaryPercent,
        int revision) {

    /** The module deciding a session's tasks: the canary for a stable {@code canaryPercent} share of sessions. */
    PolicyModule moduleFor(UUID sessionId) {
        if (canary == null || canaryPercent <= 0) {
            return primary;
        }
        return bucket(sessionId, name) < canaryPercent ? canary : primary;
    }

    /**
     * Stable bucket 0..99 of a session for a policy: SHA-256 over both, so the split is the same on every
     * node and across restarts, and independent between policies.
     */
    static int bucket(UUID sessionId, String policyName) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((sessionId + "/" + policyName).getBytes(StandardCharsets.UTF_8));
            int v = ((d[0] & 0xff) << 24) | ((d[1] & 0xff) << 16) | ((d[2] & 0xff) << 8) | (d[3] & 0xff);
            return Math.floorMod(v, 100);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
