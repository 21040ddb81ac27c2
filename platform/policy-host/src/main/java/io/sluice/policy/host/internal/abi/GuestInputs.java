package io.sluice.policy.host.internal.abi;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.PolicyDescriptor;
import io.sluice.policy.host.RouteInput;
import io.sluice.policy.host.internal.abi.AbiJson.EncodedInput;
import tools.jackson.databind.JsonNode;

/**
 * Encodes a hook's input in the layout the plugin was built for: JSON for ABI 1.0 plugins (byte for byte
 * what they always got), the slot layout of {@link AbiBinary} for 1.1 and later. The facts the host checks
 * outputs against are the same either way.
 */
public final class GuestInputs {
    private GuestInputs() {}

    public static EncodedInput admit(PolicyDescriptor d, AdmitInput in) {
        return d.binaryInput() ? AbiBinary.encodeAdmit(in, d.needsPrompt()) : AbiJson.encodeAdmit(in, d.needsPrompt());
    }

    public static EncodedInput route(PolicyDescriptor d, RouteInput in) {
        return d.binaryInput() ? AbiBinary.encodeRoute(in, d.needsPrompt()) : AbiJson.encodeRoute(in, d.needsPrompt());
    }

    /**
     * A JSON input already checked against the input schema (and stripped of the prompt when not needed),
     * re-laid out for a 1.1 plugin; a 1.0 plugin gets the JSON itself.
     */
    public static EncodedInput fromCheckedJson(PolicyDescriptor d, EncodedInput json, JsonNode tree, boolean route) {
        return d.binaryInput() ? new EncodedInput(AbiBinary.fromJson(tree, route), json.facts()) : json;
    }
}
