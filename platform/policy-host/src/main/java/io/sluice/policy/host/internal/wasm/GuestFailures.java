package io.sluice.policy.host.internal.wasm;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.TrapException;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.UnlinkableException;
import io.sluice.policy.host.PolicyError;
import io.sluice.policy.host.PolicyErrorKind;
import org.extism.sdk.chicory.ExtismException;

/**
 * Maps everything a guest can make the runtime throw to one {@link PolicyErrorKind}. Guest failures
 * arrive as several unrelated types (Chicory traps and interrupts, WASI exits, errors of the JVM itself
 * when the guest recurses or allocates without bound, our own budget exception), sometimes wrapped in
 * one another, so the cause chain is searched for the most specific one first.
 */
public final class GuestFailures {
    private GuestFailures() {}

    public static PolicyError classify(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof MemoryBudgetExceededException) {
                return new PolicyError(PolicyErrorKind.MEMORY, c.getMessage());
            }
        }
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ChicoryInterruptedException || c instanceof InterruptedException) {
                return new PolicyError(PolicyErrorKind.TIMEOUT, "guest was interrupted after the call time limit");
            }
            if (c instanceof OutOfMemoryError) {
                return new PolicyError(PolicyErrorKind.MEMORY, "the JVM ran out of memory while running the guest");
            }
            if (c instanceof StackOverflowError) {
                return new PolicyError(PolicyErrorKind.TRAP, "call stack exhausted (unbounded recursion)");
            }
            if (c instanceof WasiExitException exit) {
                return new PolicyError(PolicyErrorKind.TRAP, "guest called proc_exit(" + exit.exitCode() + ")");
            }
        }
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof TrapException) {
                return new PolicyError(PolicyErrorKind.TRAP, "trap: " + message(c));
            }
            if (c instanceof UninstantiableException || c instanceof UnlinkableException) {
                return new PolicyError(PolicyErrorKind.TRAP, "instantiation failed: " + message(c));
            }
            if (c instanceof ChicoryException) {
                String m = message(c);
                if (m.contains("call stack exhausted")) {
                    return new PolicyError(PolicyErrorKind.TRAP, "call stack exhausted (unbounded recursion)");
                }
                return new PolicyError(PolicyErrorKind.TRAP, "trap: " + m);
            }
            if (c instanceof ExtismException) {
                return new PolicyError(PolicyErrorKind.TRAP, "plugin failed: " + message(c));
            }
        }
        // Anything else escaped from guest execution (for example an out-of-range memory index that the
        // runtime reports as a plain Java exception): still the guest's fault, still contained.
        return new PolicyError(PolicyErrorKind.TRAP, "guest failed: " + t.getClass().getSimpleName() + ": " + message(t));
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        if (m == null) {
            return t.getClass().getSimpleName();
        }
        return m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }
}
