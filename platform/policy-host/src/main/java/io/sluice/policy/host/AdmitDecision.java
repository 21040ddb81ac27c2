package io.sluice.policy.host;

import java.util.Locale;

/** What an {@code admit} hook decided. */
public enum AdmitDecision {
    ALLOW,
    DENY,
    /** Admit with tightened parameters (see {@link Modifications}). */
    MODIFY;

    /** Computed once: this is read on every policy call. */
    private final String wireName = name().toLowerCase(Locale.ROOT);

    public String wireName() {
        return wireName;
    }

    public static AdmitDecision fromWireName(String name) {
        for (AdmitDecision d : values()) {
            if (d.wireName().equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown decision '" + name + "'");
    }
}
