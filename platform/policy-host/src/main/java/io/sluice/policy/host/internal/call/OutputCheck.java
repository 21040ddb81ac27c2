package io.sluice.policy.host.internal.call;

import io.sluice.policy.host.internal.abi.AbiJson.RequestFacts;
import io.sluice.policy.host.internal.abi.OutputValidator.InvalidOutput;

/** Checks a guest output once the guest has returned; throws {@link InvalidOutput} to reject it. */
@FunctionalInterface
public interface OutputCheck<T> {
    T check(byte[] output, RequestFacts facts) throws InvalidOutput;
}
