package io.sluice.core.catalog;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.UUID;

/**
 * Picks an alias target for a session (LIFE-3): the session falls into one of 100 buckets by a hash of
 * (alias, session id), and the targets own consecutive bucket ranges in split order. The same session always lands
 * on the same target while the split is unchanged, on every instance and after restarts; moving percent from one
 * target to its neighbour moves only the sessions in the buckets that changed owner.
 */
public final class CanarySplit {
    private CanarySplit() {}

    /** One target of a split. */
    public record Target(UUID modelId, int percent) {}

    /** Bucket 0..99 of a session under an alias. */
    public static int bucket(String alias, UUID sessionId) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256")
                    .digest((alias + "\n" + sessionId).getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (h[i] & 0xff);
            }
            return (int) Long.remainderUnsigned(v, 100);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The target a session gets; {@code targets} sum to 100. */
    public static UUID pick(String alias, UUID sessionId, List<Target> targets) {
        int b = bucket(alias, sessionId);
        int upTo = 0;
        for (Target t : targets) {
            upTo += t.percent();
            if (b < upTo) {
                return t.modelId();
            }
        }
        // Only reachable if the split does not sum to 100, which the API refuses; the last target takes the rest.
        return targets.get(targets.size() - 1).modelId();
    }
}
