package io.sluice.policy.host.internal.wasm;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import io.sluice.policy.host.ExecutionMode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.extism.sdk.chicory.Kernel;

/**
 * The Extism kernel (the {@code extism-runtime.wasm} that chicory-sdk-core ships): memory blocks, input,
 * output and error for one plugin. Parsed and compiled once per process and mode; every guest instance
 * gets its own kernel instance over that shared compiled code.
 */
public final class ExtismKernel {
    static final String MODULE = "extism:host/env";
    private static final String RESOURCE = "extism-runtime.wasm";
    private static final Map<ExecutionMode, ExtismKernel> BY_MODE = new EnumMap<>(ExecutionMode.class);

    final WasmModule module;
    final Function<Instance, Machine> machineFactory;
    /** Exported function name to type, in export order. */
    final Map<String, FunctionType> functions;

    private ExtismKernel(WasmModule module, Function<Instance, Machine> machineFactory) {
        this.module = module;
        this.machineFactory = machineFactory;
        Map<String, FunctionType> fns = new LinkedHashMap<>();
        int imported = module.importSection().count(ExternalType.FUNCTION);
        for (int i = 0; i < module.exportSection().exportCount(); i++) {
            Export e = module.exportSection().getExport(i);
            if (e.exportType() == ExternalType.FUNCTION) {
                int typeIdx = module.functionSection().getFunctionType(e.index() - imported);
                fns.put(e.name(), module.typeSection().getType(typeIdx));
            }
        }
        this.functions = Map.copyOf(fns);
    }

    public static synchronized ExtismKernel get(ExecutionMode mode) {
        return BY_MODE.computeIfAbsent(mode, ExtismKernel::load);
    }

    private static ExtismKernel load(ExecutionMode mode) {
        WasmModule module;
        try (InputStream in = Kernel.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " not found: chicory-sdk-core is not on the class path");
            }
            module = Parser.parse(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Function<Instance, Machine> factory = mode == ExecutionMode.COMPILED
                ? MachineFactoryCompiler.builder(module)
                        .withInterpreterFallback(InterpreterFallback.FAIL)
                        .compile()
                : InterpreterMachine::new;
        return new ExtismKernel(module, factory);
    }

    Instance instantiate(MemoryBudget budget) {
        return Instance.builder(module)
                .withMachineFactory(machineFactory)
                .withMemoryFactory(limits -> budget.memory(limits, "Extism kernel"))
                .build();
    }
}
