package io.sluice.policy.host.diagnostics;

import io.sluice.policy.host.internal.abi.AbiJson;

/**
 * An input encoded once, exactly as the host would send it to a guest, so that a benchmark can time the
 * guest call and the output check without the encoding. Immutable by contract: {@link #json()} returns
 * the host's own array, not a copy, so that reading it costs nothing; do not modify it.
 */
public final class EncodedInput {
    final AbiJson.EncodedInput encoded;

    EncodedInput(AbiJson.EncodedInput encoded) {
        this.encoded = encoded;
    }

    /**
     * The bytes the guest reads through {@code input_load_*}: ABI JSON (UTF-8) for a 1.0 module, the slot
     * layout for a 1.1 module.
     */
    public byte[] json() {
        return encoded.json();
    }

    /**
     * The same facts with other input bytes: for prototypes that time a guest on a different document (for
     * example one pruned to the members a plugin reads), never for tenant traffic.
     */
    public EncodedInput withBytes(byte[] bytes) {
        return new EncodedInput(new AbiJson.EncodedInput(bytes.clone(), encoded.facts()));
    }
}
