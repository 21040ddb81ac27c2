package io.sluice.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How the model catalog treats entries it cannot verify (SPEC CAT-2). */
public enum TrustPolicy {
    /** Unsigned, badly signed or unknown-registry entries are refused at ingest. */
    STRICT("strict"),
    /** Such entries are stored as unverified. */
    PERMISSIVE("permissive");

    private final String label;

    TrustPolicy(String label) {
        this.label = label;
    }

    /** The spelling used in the YAML file and in {@code sluice.catalog.trust-policy}. */
    @JsonValue
    public String label() {
        return label;
    }

    @JsonCreator
    public static TrustPolicy fromLabel(String label) {
        for (TrustPolicy p : values()) {
            if (p.label.equals(label)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown trust policy '" + label + "' (strict, permissive)");
    }
}
