package io.sluice.policy.host;

import java.util.Locale;

/** Request priority as seen by policies. A policy may only move a request from interactive to batch. */
public enum Priority {
    INTERACTIVE,
    BATCH;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
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
