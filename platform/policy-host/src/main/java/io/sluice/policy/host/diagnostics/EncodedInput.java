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

    /** The ABI JSON bytes (UTF-8) the guest reads through {@code input_load_*}. */
    public byte[] json() {
        return encoded.json();
    }
}
