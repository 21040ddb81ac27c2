package io.sluice.policy.host;

import java.util.Locale;

/** The exports a policy can implement besides {@code describe}. */
public enum Hook {
    ADMIT,
    ROUTE;

    /** Name of the Wasm export and of the hook in {@code describe} output. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a hook name as written in the ABI ({@code "admit"}, {@code "route"}). */
    public static Hook fromWireName(String name) {
        for (Hook hook : values()) {
            if (hook.wireName().equals(name)) {
                return hook;
            }
        }
        throw new IllegalArgumentException("unknown hook '" + name + "' (expected admit or route)");
    }
}
