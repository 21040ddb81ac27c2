package io.sluice.policy.host.internal.wasm;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One running copy of a policy: a guest instance wired to its own Extism kernel instance, memory budget
 * and call scope. Not thread-safe; the pool hands it to one call at a time and throws it away after any
 * violation, so no state of a failed call survives.
 */
public final class GuestInstance {
    private static final int MAX_ERROR_CHARS = 512;

    final CompiledPolicy policy;
    private final Instance guest;
    private final MemoryBudget budget;
    private final CallScope scope;
    private final Memory kernelMemory;
    private final ExportFunction reset;
    private final ExportFunction outputOffset;
    private final ExportFunction outputLength;
    private final ExportFunction errorGet;
    private final ExportFunction length;
    private final java.util.Map<String, ExportFunction> hooks = new java.util.HashMap<>();

    private GuestInstance(CompiledPolicy policy, Instance kernel, Instance guest, MemoryBudget budget, CallScope scope) {
        this.policy = policy;
        this.guest = guest;
        this.budget = budget;
        this.scope = scope;
        this.kernelMemory = kernel.memory();
        this.reset = kernel.export("reset");
        this.outputOffset = kernel.export("output_offset");
        this.outputLength = kernel.export("output_length");
        this.errorGet = kernel.export("error_get");
        this.length = kernel.export("length");
    }

    /**
     * Instantiates the module (running its start function and a WASI reactor's {@code _initialize}).
     * Runs guest code, so callers run it under a timeout like any call.
     */
    public static GuestInstance create(CompiledPolicy policy, ExtismKernel kernel, long memoryBytes, int logBytes) {
        MemoryBudget budget = new MemoryBudget(memoryBytes);
        CallScope scope = new CallScope(logBytes);
        scope.begin(new byte[0], 0, 0);
        Instance kernelInstance = kernel.instantiate(budget);
        Instance guest = Instance.builder(policy.module)
                .withImportValues(GuestImports.forInstance(kernel, kernelInstance, budget, scope))
                .withMachineFactory(policy.machineFactory)
                .withMemoryFactory(limits -> budget.memory(limits, "guest linear"))
                .build();
        if (hasFunctionExport(policy, "_initialize")) {
            guest.export("_initialize").apply();
        }
        return new GuestInstance(policy, kernelInstance, guest, budget, scope);
    }

    private static boolean hasFunctionExport(CompiledPolicy policy, String name) {
        return WasmInspector.exportedFunctionType(policy.module, name) != null;
    }

    /** Creates instances of a module under the host's memory and log bounds. */
    @FunctionalInterface
    public interface Factory {
        GuestInstance create(CompiledPolicy policy);
    }

    /** Outcome of the Extism call protocol, before any JSON is looked at. */
    public record RawResult(byte[] output, int outputLength, String guestError, List<String> logs) {
        public boolean returnedError() {
            return guestError != null;
        }
    }

    /**
     * Runs one Extism export: resets the kernel, stores the input, calls the export and reads the output
     * unless it is longer than {@code outputLimit} (then {@code output} is {@code null} and only the length
     * is reported, so a huge output is never copied).
     */
    public RawResult call(String export, byte[] input, long timeMs, long seed, int outputLimit) {
        // The input stays on the host side: the guest reads it through input_load_*, served from this
        // array, so it is never copied into kernel memory. It still counts against the memory budget.
        budget.checkRequest(input.length, "input");
        scope.begin(input, timeMs, seed);
        reset.apply();

        long[] rc = hooks.computeIfAbsent(export, guest::export).apply();
        if (rc == null || rc.length == 0) {
            return new RawResult(null, 0, "export '" + export + "' returned no status code", scope.logs());
        }
        if ((int) rc[0] != 0) {
            return new RawResult(null, 0, "plugin returned status " + (int) rc[0] + errorSuffix(), scope.logs());
        }
        long outPtr = outputOffset.apply()[0];
        long outLen = outputLength.apply()[0];
        if (outLen > outputLimit || outLen < 0) {
            return new RawResult(null, (int) Math.min(outLen, Integer.MAX_VALUE), null, scope.logs());
        }
        byte[] out = outLen == 0 ? new byte[0] : kernelMemory.readBytes((int) outPtr, (int) outLen);
        return new RawResult(out, out.length, null, scope.logs());
    }

    private String errorSuffix() {
        String message = guestErrorMessage();
        return message == null ? " without an error message" : ": " + message;
    }

    /**
     * The message the guest set with the kernel's {@code error_set} during the current call, or null. Read after a
     * non-zero return and after a trap (the SDK's abort path sets the message, then traps: ABI section 2). Cut to
     * 512 characters, control characters replaced so that it cannot forge log lines. A plugin that declared
     * {@code needs: ["prompt"]} could copy the prompt into it, and the message reaches error bodies and logs, where
     * SEC-4 forbids prompt text: for such a plugin only the fact that a message was set is recorded.
     */
    public String guestErrorMessage() {
        long ptr;
        try {
            ptr = errorGet.apply()[0];
        } catch (RuntimeException e) {
            return null; // the kernel itself is unusable after this failure: nothing to read
        }
        if (ptr == 0) {
            return null;
        }
        var d = policy.describedOrNull();
        if (d != null && d.needsPrompt()) {
            return "(the plugin set an error message; not recorded because the plugin reads the prompt, SEC-4)";
        }
        long len = length.apply(ptr)[0];
        int n = (int) Math.min(Math.max(len, 0), MAX_ERROR_CHARS * 4L);
        String msg = new String(kernelMemory.readBytes((int) ptr, n), StandardCharsets.UTF_8);
        if (msg.length() > MAX_ERROR_CHARS) {
            msg = msg.substring(0, MAX_ERROR_CHARS) + "...";
        }
        StringBuilder clean = new StringBuilder(msg.length());
        msg.codePoints().forEach(c -> clean.appendCodePoint(Character.isISOControl(c) ? ' ' : c));
        return clean.toString();
    }

    /**
     * Bytes the JVM holds for this instance's guest and kernel memories. Safe to read from another thread
     * (the watchdog reads it to see how much a running call grew them).
     */
    public long memoryReservedBytes() {
        return budget.reserved();
    }

    /**
     * Time this instance's call threads spent growing its memories into new backing arrays, all calls together (CPU
     * time where the JVM measures it): the host's work, left out of a call's CPU time (ADR 0038). Safe to read from
     * another thread; consistent with {@link #growingMemory()} as described there.
     */
    public long memoryGrowthNanos() {
        return budget.growthNanos();
    }

    /**
     * True while a grow into a new backing array is under way; its time reaches {@link #memoryGrowthNanos()} only
     * when it ends. A reader that saw false, then read the growth time and a CPU clock, then saw false again with
     * the growth time unchanged, read a CPU time whose growth part is all counted.
     */
    public boolean growingMemory() {
        return budget.growing();
    }

    /** Logs captured so far in the current call (used when the call failed before returning). */
    public List<String> logs() {
        return scope.logs();
    }
}
