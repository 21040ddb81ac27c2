package io.sluice.core.catalog;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Lifecycle state of a catalog entry (LIFE-1). The legal transitions are one table, {@link #LEGAL}, the same as the
 * contract's {@code x-sluice-legal-transitions}; everything else, staying in the same state included, is illegal.
 */
public enum ModelState {
    Draft,
    Active,
    Canary,
    Deprecated,
    Retired;

    private static final Map<ModelState, Set<ModelState>> LEGAL;

    static {
        Map<ModelState, Set<ModelState>> t = new EnumMap<>(ModelState.class);
        t.put(Draft, EnumSet.of(Active));
        t.put(Active, EnumSet.of(Canary, Deprecated));
        t.put(Canary, EnumSet.of(Active, Deprecated));
        t.put(Deprecated, EnumSet.of(Retired));
        t.put(Retired, EnumSet.noneOf(ModelState.class));
        for (ModelState s : values()) {
            t.put(s, Collections.unmodifiableSet(t.get(s)));
        }
        LEGAL = Collections.unmodifiableMap(t);
    }

    /** The states this one may move to. */
    public Set<ModelState> next() {
        return LEGAL.get(this);
    }

    public boolean canMoveTo(ModelState to) {
        return LEGAL.get(this).contains(to);
    }

    /** Whether tasks may be served from an entry in this state at all (Deprecated only for existing sessions or override). */
    public boolean serving() {
        return this == Active || this == Canary || this == Deprecated;
    }

    /** Whether an alias may point at an entry in this state. */
    public boolean aliasTarget() {
        return this == Active || this == Canary;
    }

    /** The state named {@code wire}, or null when it names none. */
    public static ModelState parse(String wire) {
        for (ModelState s : values()) {
            if (s.name().equals(wire)) {
                return s;
            }
        }
        return null;
    }
}
