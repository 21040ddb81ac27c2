package io.sluice.policy.host.internal.wasm;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.ValType;
import io.sluice.policy.host.Hook;
import io.sluice.policy.host.PolicyValidationException.Reason;
import io.sluice.policy.host.PolicyValidationException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Static checks of a parsed module before anything of it runs. */
final class WasmInspector {
    static final String DESCRIBE = "describe";
    private static final FunctionType EXTISM_EXPORT = FunctionType.of(List.of(), List.of(ValType.I32));

    private WasmInspector() {}

    /** Refuses every import outside the allowed set, naming it. */
    static void checkImports(WasmModule module, Map<String, Map<String, FunctionType>> allowed)
            throws PolicyValidationException {
        for (int i = 0; i < module.importSection().importCount(); i++) {
            Import imp = module.importSection().getImport(i);
            String qualified = "'" + imp.module() + "." + imp.name() + "'";
            if (imp.importType() != ExternalType.FUNCTION) {
                throw new PolicyValidationException(Reason.FORBIDDEN_IMPORT, "module imports a "
                        + imp.importType().name().toLowerCase(Locale.ROOT) + " " + qualified
                        + "; policies may import functions only (the Extism kernel, Extism logging and the"
                        + " WASI clock/random subset)");
            }
            Map<String, FunctionType> fromModule = allowed.get(imp.module());
            FunctionType required = fromModule == null ? null : fromModule.get(imp.name());
            if (required == null) {
                String why = GuestImports.knownRefusal(imp.module(), imp.name())
                        .orElse("policies may import only the Extism kernel and logging ('"
                                + ExtismKernel.MODULE + "') and the WASI clock/random subset ('"
                                + GuestImports.WASI + "'); no other host functions exist");
                throw new PolicyValidationException(
                        Reason.FORBIDDEN_IMPORT, "module imports " + qualified + ", which is not allowed: " + why);
            }
            FunctionType actual = module.typeSection().getType(((FunctionImport) imp).typeIndex());
            if (!actual.equals(required)) {
                throw new PolicyValidationException(Reason.FORBIDDEN_IMPORT, "module imports " + qualified
                        + " with signature " + actual + " but the host provides " + required);
            }
        }
    }

    /**
     * Checks the exports ABI v1 requires of every module ({@code describe}, {@code admit}, {@code memory})
     * and returns which hook functions are exported, each with the Extism signature {@code () -> i32}.
     */
    static Set<Hook> checkExports(WasmModule module) throws PolicyValidationException {
        FunctionType describe = exportedFunctionType(module, DESCRIBE);
        if (describe == null) {
            throw new PolicyValidationException(Reason.MISSING_EXPORT, "module does not export 'describe'");
        }
        requireExtismSignature(DESCRIBE, describe);
        Set<Hook> hooks = EnumSet.noneOf(Hook.class);
        for (Hook hook : Hook.values()) {
            FunctionType t = exportedFunctionType(module, hook.wireName());
            if (t != null) {
                requireExtismSignature(hook.wireName(), t);
                hooks.add(hook);
            }
        }
        if (!hooks.contains(Hook.ADMIT)) {
            throw new PolicyValidationException(Reason.MISSING_EXPORT, "module does not export 'admit'; every"
                    + " ABI v1 plugin exports it, even one that only implements route (ABI section 3.1)");
        }
        if (!exportsMemory(module)) {
            throw new PolicyValidationException(
                    Reason.MISSING_EXPORT, "module does not export its linear memory as 'memory' (ABI section 3.1)");
        }
        return hooks;
    }

    private static boolean exportsMemory(WasmModule module) {
        for (int i = 0; i < module.exportSection().exportCount(); i++) {
            Export e = module.exportSection().getExport(i);
            if (e.name().equals("memory") && e.exportType() == ExternalType.MEMORY) {
                return true;
            }
        }
        return false;
    }

    private static void requireExtismSignature(String name, FunctionType t) throws PolicyValidationException {
        if (!t.equals(EXTISM_EXPORT)) {
            throw new PolicyValidationException(Reason.MISSING_EXPORT, "export '" + name + "' has signature " + t
                    + "; Extism plugin functions take no parameters and return an i32 status");
        }
    }

    static FunctionType exportedFunctionType(WasmModule module, String name) {
        int imported = module.importSection().count(ExternalType.FUNCTION);
        for (int i = 0; i < module.exportSection().exportCount(); i++) {
            Export e = module.exportSection().getExport(i);
            if (e.name().equals(name) && e.exportType() == ExternalType.FUNCTION) {
                int idx = e.index();
                if (idx < imported) {
                    FunctionImport fi = (FunctionImport) module.importSection().stream()
                            .filter(im -> im.importType() == ExternalType.FUNCTION)
                            .skip(idx)
                            .findFirst()
                            .orElseThrow();
                    return module.typeSection().getType(fi.typeIndex());
                }
                return module.typeSection().getType(module.functionSection().getFunctionType(idx - imported));
            }
        }
        return null;
    }

    /** Refuses a module whose declared initial memory alone is past the budget. */
    static void checkInitialMemory(WasmModule module, long budgetBytes, long kernelBytes)
            throws PolicyValidationException {
        if (module.memorySection().isEmpty() || module.memorySection().get().memoryCount() == 0) {
            return;
        }
        long initial = (long) module.memorySection().get().getMemory(0).limits().initialPages() * 65536L;
        if (initial > budgetBytes - kernelBytes) {
            throw new PolicyValidationException(Reason.MEMORY_TOO_LARGE, "module declares " + initial
                    + " bytes of initial memory; at most " + (budgetBytes - kernelBytes) + " bytes fit in the"
                    + " memory limit of " + budgetBytes + " bytes, of which the Extism kernel takes " + kernelBytes);
        }
    }
}
