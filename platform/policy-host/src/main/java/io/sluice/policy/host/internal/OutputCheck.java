package io.sluice.policy.host.internal;

import io.sluice.policy.host.internal.AbiJson.RequestFacts;
import io.sluice.policy.host.internal.OutputValidator.InvalidOutput;

/** Checks a guest output once the guest has returned; throws {@link InvalidOutput} to reject it. */
@FunctionalInterface
interface OutputCheck<T> {
    T check(byte[] output, RequestFacts facts) throws InvalidOutput;
}
