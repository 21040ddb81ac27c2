package io.sluice.policy.host;

import java.util.Objects;
import java.util.Set;

/**
 * What a module's {@code describe} export returned, after validation.
 *
 * @param abiVersion ABI version the module was built for ({@code "1.0"} or {@code "1.1"})
 * @param name policy name, {@code ^[a-z0-9][a-z0-9-]{0,62}$}
 * @param version semantic version {@code X.Y.Z}
 * @param hooks the hooks the module implements (non-empty; every one is exported)
 * @param needs optional inputs the module asked for; only {@code "prompt"} exists in ABI v1
 */
public record PolicyDescriptor(String abiVersion, String name, String version, Set<Hook> hooks, Set<String> needs) {
    public PolicyDescriptor {
        Objects.requireNonNull(abiVersion, "abiVersion");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(version, "version");
        hooks = Set.copyOf(hooks);
        needs = Set.copyOf(needs);
    }

    public boolean implementsHook(Hook hook) {
        return hooks.contains(hook);
    }

    /**
     * Whether the module reads its input in the ABI 1.1 slot layout (policy-sdk/ABI.md section 12) rather
     * than as the JSON document of ABI 1.0: every module that declares 1.1 or later does.
     */
    public boolean binaryInput() {
        int dot = abiVersion.indexOf('.');
        return dot > 0 && !abiVersion.substring(dot + 1).equals("0");
    }

    /** Whether the host passes the prompt text to this policy. */
    public boolean needsPrompt() {
        return needs.contains("prompt");
    }
}
