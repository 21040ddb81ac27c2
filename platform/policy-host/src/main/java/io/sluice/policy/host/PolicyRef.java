package io.sluice.policy.host;

import java.util.Objects;

/** Identity of the policy that decided: name and version from {@code describe}, sha256 digest of the module. */
public record PolicyRef(String name, String version, String digest) {
    public PolicyRef {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(digest, "digest");
    }
}
