package io.sluice.policy.host;

import java.util.Locale;

/** Request priority as seen by policies. A policy may only move a request from interactive to batch. */
public enum Priority {
    INTERACTIVE,
    BATCH;

    /** Computed once: this is read on every policy call. */
    private final String wireName = name().toLowerCase(Locale.ROOT);

    public String wireName() {
        return wireName;
    }

    public static Priority fromWireName(String name) {
        for (Priority p : values()) {
            if (p.wireName().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown priority '" + name + "'");
    }
}
