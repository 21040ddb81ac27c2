package io.sluice.policy.host.internal.abi;

import io.sluice.policy.host.Hook;
import io.sluice.policy.host.PolicyDescriptor;
import io.sluice.policy.host.PolicyValidationException.Reason;
import io.sluice.policy.host.internal.abi.AbiSchemas.Kind;
import io.sluice.policy.host.internal.abi.OutputValidator.InvalidOutput;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/** Reads a module's {@code describe} output: the ABI version it was built for, its hooks and needs. */
public final class DescribeOutput {
    static final int HOST_ABI_MAJOR = 1;
    static final int HOST_ABI_MINOR = 1;

    private DescribeOutput() {}

    /** An invalid describe output, carrying the upload refusal reason. */
    static final class Invalid extends InvalidOutput {
        private static final long serialVersionUID = 1L;
        private final Reason reason;

        Invalid(Reason reason, String message) {
            super(message);
            this.reason = reason;
        }

        @Override
        public Reason uploadReason() {
            return reason;
        }
    }

    public static PolicyDescriptor parse(byte[] out, AbiSchemas schemas) throws InvalidOutput {
        JsonNode root;
        try {
            root = AbiJson.MAPPER.readTree(out);
        } catch (JacksonException e) {
            throw new Invalid(Reason.DESCRIBE_INVALID, "describe output is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new Invalid(Reason.DESCRIBE_INVALID, "describe output must be a JSON object");
        }
        JsonNode abi = root.path("abi_version");
        String supported = "this host supports ABI " + HOST_ABI_MAJOR + ".0 to " + HOST_ABI_MAJOR + "." + HOST_ABI_MINOR;
        if (!abi.isString() || !abi.stringValue().matches("\\d{1,4}\\.\\d{1,4}")) {
            throw new Invalid(Reason.UNSUPPORTED_ABI, "describe gives abi_version " + abi + "; " + supported);
        }
        String[] mm = abi.stringValue().split("\\.");
        if (Integer.parseInt(mm[0]) != HOST_ABI_MAJOR || Integer.parseInt(mm[1]) > HOST_ABI_MINOR) {
            throw new Invalid(Reason.UNSUPPORTED_ABI, "module is built for ABI " + abi.stringValue() + "; " + supported);
        }
        List<String> problems = schemas.validate(Kind.DESCRIBE_OUTPUT, root, 3);
        if (!problems.isEmpty()) {
            throw new Invalid(Reason.DESCRIBE_INVALID,
                    "describe output does not match " + Kind.DESCRIBE_OUTPUT.file + ": " + String.join("; ", problems));
        }
        Set<Hook> hooks = EnumSet.noneOf(Hook.class);
        root.path("hooks").values().forEach(h -> hooks.add(Hook.fromWireName(h.stringValue())));
        List<String> needs = new ArrayList<>();
        root.path("needs").values().forEach(n -> needs.add(n.stringValue()));
        return new PolicyDescriptor(
                abi.stringValue(), root.path("name").stringValue(), root.path("version").stringValue(), hooks, Set.copyOf(needs));
    }
}
