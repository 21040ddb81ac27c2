package io.sluice.policy.host.internal.wasm;

/**
 * Thrown from inside guest or kernel execution when an allocation would pass the instance's memory
 * budget. Unchecked on purpose: it has to unwind through compiled Wasm frames.
 */
public final class MemoryBudgetExceededException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MemoryBudgetExceededException(String message) {
        super(message, null, false, false);
    }
}
