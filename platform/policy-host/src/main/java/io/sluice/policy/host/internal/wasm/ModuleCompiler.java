package io.sluice.policy.host.internal.wasm;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import io.sluice.policy.host.ExecutionMode;
import io.sluice.policy.host.Hook;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyValidationException.Reason;
import io.sluice.policy.host.PolicyValidationException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Turns module bytes into a {@link CompiledPolicy} and keeps the accepted ones by sha256: parse, check
 * imports, exports and initial memory, compile ahead of time on one dedicated thread. Compiling is the
 * expensive part of an instance (ADR 0005), so it happens once per digest and every instance of every
 * tenant shares the result. Runs no guest code; what the module does when called is checked by
 * the upload checks.
 *
 * <p>Thread-safe.
 */
public final class ModuleCompiler implements AutoCloseable {
    private final PolicyLimits limits;
    private final ExecutionMode mode;
    private final ExtismKernel kernel;
    private final Map<String, Map<String, FunctionType>> allowedImports;
    private final ThreadPoolExecutor compiler;
    private final ConcurrentHashMap<String, CompiledPolicy> accepted = new ConcurrentHashMap<>();

    public ModuleCompiler(PolicyLimits limits, ExecutionMode mode, ExtismKernel kernel) {
        this.limits = limits;
        this.mode = mode;
        this.kernel = kernel;
        this.allowedImports = GuestImports.allowed(kernel);
        // One thread: a flood of slow uploads queues instead of taking every core from traffic.
        this.compiler = new ThreadPoolExecutor(
                1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(16), ModuleCompiler::compilerThread);
    }

    /** A daemon, so that a host nobody closed never keeps the JVM alive. */
    private static Thread compilerThread(Runnable r) {
        Thread t = new Thread(r, "sluice-policy-compiler");
        t.setDaemon(true);
        return t;
    }

    public ExecutionMode mode() {
        return mode;
    }

    ExtismKernel kernel() {
        return kernel;
    }

    /** True if the module was compiled here (modules of another host are refused). */
    public boolean owns(CompiledPolicy policy) {
        return policy.owner == this;
    }

    /** An accepted module with this digest, or null. */
    public CompiledPolicy accepted(String digest) {
        return accepted.get(digest);
    }

    /** Keeps an accepted module; if another upload of the same bytes won the race, returns that one. */
    public CompiledPolicy accept(CompiledPolicy policy) {
        CompiledPolicy winner = accepted.putIfAbsent(policy.digest(), policy);
        return winner != null ? winner : policy;
    }

    public void forget(String digest) {
        accepted.remove(digest);
    }

    /**
     * Parses, inspects and compiles a module on the compiler thread, waiting at most
     * {@link PolicyLimits#compileTimeout()}. The result is not yet accepted.
     */
    public CompiledPolicy compile(byte[] wasm, String digest) throws PolicyValidationException {
        Future<CompiledPolicy> f;
        java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            f = compiler.submit(() -> {
                started.set(true);
                return parseAndCompile(wasm, digest);
            });
        } catch (RejectedExecutionException e) {
            throw PolicyValidationException.busy(Reason.COMPILE_TIMEOUT, "too many uploads are being compiled; retry later");
        }
        try {
            return f.get(limits.compileTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // The compiler does not observe interrupts; the thread finishes on its own and the result is dropped.
            f.cancel(true);
            if (!started.get()) {
                // Waiting behind other compiles says nothing about this module: not a verdict to remember.
                throw PolicyValidationException.busy(Reason.COMPILE_TIMEOUT, "the compiler was busy with other uploads for "
                        + limits.compileTimeout().toMillis() + " ms; retry later");
            }
            throw new PolicyValidationException(Reason.COMPILE_TIMEOUT,
                    "compiling the module took longer than " + limits.compileTimeout().toMillis() + " ms");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof PolicyValidationException pve) {
                throw pve;
            }
            if (e.getCause() instanceof OutOfMemoryError) {
                throw PolicyValidationException.busy(Reason.COMPILE_TIMEOUT, "the host ran out of memory while compiling the module");
            }
            throw new PolicyValidationException(Reason.NOT_WASM, "module could not be compiled: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw PolicyValidationException.busy(Reason.COMPILE_TIMEOUT, "interrupted while compiling the module");
        }
    }

    private CompiledPolicy parseAndCompile(byte[] wasm, String digest) throws PolicyValidationException {
        WasmModule module;
        try {
            module = Parser.parse(wasm);
        } catch (ChicoryException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new PolicyValidationException(Reason.NOT_WASM, "not a valid WebAssembly module: " + e.getMessage(), e);
        }
        WasmInspector.checkImports(module, allowedImports);
        Set<Hook> hooks = WasmInspector.checkExports(module);
        WasmInspector.checkInitialMemory(module, limits.memoryBytes(), kernelInitialBytes());
        Function<Instance, Machine> factory;
        if (mode == ExecutionMode.COMPILED) {
            try {
                factory = MachineFactoryCompiler.builder(module)
                        .withInterpreterFallback(InterpreterFallback.FAIL)
                        .compile();
            } catch (ChicoryException e) {
                String m = String.valueOf(e.getMessage());
                if (m.contains("Java method size") || m.contains("interpreter")) {
                    int at = m.indexOf("WASM function index");
                    String which = at >= 0 ? " (" + m.substring(at) + ")" : "";
                    throw new PolicyValidationException(Reason.NEEDS_INTERPRETER, "a function is too large to"
                            + " compile to one JVM method and could only run in the interpreter, where the time"
                            + " limit cannot stop it; split it into smaller functions" + which, e);
                }
                throw new PolicyValidationException(Reason.NOT_WASM, "module could not be compiled: " + m, e);
            }
        } else {
            factory = InterpreterMachine::new;
        }
        return new CompiledPolicy(digest, wasm.length, module, factory, hooks, this);
    }

    private long kernelInitialBytes() {
        return (long) kernel.module.memorySection().get().getMemory(0).limits().initialPages() * 65536L;
    }

    @Override
    public void close() {
        compiler.shutdownNow();
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JVM", e);
        }
    }
}
