package io.sluice.policy.host;

import java.util.Locale;

/** What an {@code admit} hook decided. */
public enum AdmitDecision {
    ALLOW,
    DENY,
    /** Admit with tightened parameters (see {@link Modifications}). */
    MODIFY;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
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
