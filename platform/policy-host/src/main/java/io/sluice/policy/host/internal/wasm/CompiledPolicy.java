package io.sluice.policy.host.internal.wasm;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import io.sluice.policy.host.Hook;
import io.sluice.policy.host.PolicyDescriptor;
import io.sluice.policy.host.PolicyModule;
import java.util.Set;
import java.util.function.Function;

/**
 * A parsed module with its compiled machine factory, shared by every instance of every tenant. Parsing
 * and compiling happen once per digest; an instance then costs only its memories and objects.
 */
public final class CompiledPolicy implements PolicyModule {
    private final String digest;
    private final int sizeBytes;
    final WasmModule module;
    final Function<Instance, Machine> machineFactory;
    final Set<Hook> exportedHooks;
    final ModuleCompiler owner;
    private volatile PolicyDescriptor descriptor;

    CompiledPolicy(
            String digest,
            int sizeBytes,
            WasmModule module,
            Function<Instance, Machine> machineFactory,
            Set<Hook> exportedHooks,
            ModuleCompiler owner) {
        this.digest = digest;
        this.sizeBytes = sizeBytes;
        this.module = module;
        this.machineFactory = machineFactory;
        this.exportedHooks = Set.copyOf(exportedHooks);
        this.owner = owner;
    }

    /** The hooks the module exports, to be compared with what its {@code describe} declares. */
    public Set<Hook> exportedHooks() {
        return exportedHooks;
    }

    /**
     * A fresh instance outside any pool and any limit but memory and log size: for diagnostics only.
     * Traffic instances are created by the call executor, which bounds their calls.
     */
    public GuestInstance instantiateUnpooled(long memoryBytes, int logBytes) {
        return GuestInstance.create(this, owner.kernel(), memoryBytes, logBytes);
    }

    @Override
    public String digest() {
        return digest;
    }

    @Override
    public int sizeBytes() {
        return sizeBytes;
    }

    @Override
    public PolicyDescriptor descriptor() {
        PolicyDescriptor d = descriptor;
        if (d == null) {
            throw new IllegalStateException("module " + digest + " has not been validated yet");
        }
        return d;
    }

    /** The description, or null while {@code describe} is still being checked at upload. */
    PolicyDescriptor describedOrNull() {
        return descriptor;
    }

    public void describedAs(PolicyDescriptor d) {
        this.descriptor = d;
    }

    @Override
    public String toString() {
        PolicyDescriptor d = descriptor;
        return "PolicyModule[" + (d == null ? "?" : d.name() + "@" + d.version()) + ", sha256=" + digest + "]";
    }
}
