package io.sluice.policy.host.internal.wasm;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The only functions a policy can import, and their implementations for one guest instance.
 *
 * <ul>
 *   <li>{@code extism:host/env}: the Extism kernel functions of ABI v1 (memory blocks, input, output,
 *       error), with {@code alloc} checked against the memory budget; the Extism log functions, captured
 *       into the call's bounded log buffer; {@code config_get}, which finds nothing. Extism vars and HTTP
 *       are absent: vars would carry state between calls, HTTP would reach outside the input.
 *   <li>{@code wasi_snapshot_preview1}: a fixed subset with no filesystem, sockets, arguments or
 *       environment. The realtime and the monotonic clock both read the snapshot time, frozen for the
 *       call; {@code random_get} is a stream seeded from the task id. Writes to stdout/stderr become log
 *       lines. A guest cannot measure elapsed time, so the host, not the guest, owns every time limit and
 *       the same input always yields the same output.
 * </ul>
 */
final class GuestImports {
    static final String WASI = "wasi_snapshot_preview1";

    private static final ValType I32 = ValType.I32;
    private static final ValType I64 = ValType.I64;

    private static final int ESUCCESS = 0;
    private static final int EBADF = 8;
    private static final int EINVAL = 28;
    private static final int ESPIPE = 70;

    private static final int CLOCK_REALTIME = 0;
    private static final int CLOCK_MONOTONIC = 1;

    private static final String[] LOG_LEVELS = {"trace", "debug", "info", "warn", "error"};

    /** Extism {@code get_log_level} value for "debug": guests may log at debug and above. */
    private static final int LOG_LEVEL_DEBUG = 1;

    private GuestImports() {}

    /**
     * The kernel functions of ABI v1 section 3.2. The others ({@code reset}, {@code input_set},
     * {@code output_length} ...) are how the host drives the kernel; a guest has no use for them.
     */
    static final List<String> KERNEL_FUNCTIONS = List.of(
            "input_length",
            "input_load_u8",
            "input_load_u64",
            "length",
            "length_unsafe",
            "alloc",
            "free",
            "load_u8",
            "load_u64",
            "store_u8",
            "store_u64",
            "output_set",
            "error_set");

    /** Every importable function and its required type, by module then name. */
    static Map<String, Map<String, FunctionType>> allowed(ExtismKernel kernel) {
        Map<String, FunctionType> env = new LinkedHashMap<>();
        for (String name : KERNEL_FUNCTIONS) {
            env.put(name, kernel.functions.get(name));
        }
        env.put("config_get", type(List.of(I64), List.of(I64)));
        for (String level : LOG_LEVELS) {
            env.put("log_" + level, type(List.of(I64), List.of()));
        }
        env.put("get_log_level", type(List.of(), List.of(I32)));

        Map<String, FunctionType> wasi = new LinkedHashMap<>();
        wasi.put("args_get", type(List.of(I32, I32), List.of(I32)));
        wasi.put("args_sizes_get", type(List.of(I32, I32), List.of(I32)));
        wasi.put("environ_get", type(List.of(I32, I32), List.of(I32)));
        wasi.put("environ_sizes_get", type(List.of(I32, I32), List.of(I32)));
        wasi.put("clock_res_get", type(List.of(I32, I32), List.of(I32)));
        wasi.put("clock_time_get", type(List.of(I32, I64, I32), List.of(I32)));
        wasi.put("random_get", type(List.of(I32, I32), List.of(I32)));
        wasi.put("proc_exit", type(List.of(I32), List.of()));
        wasi.put("sched_yield", type(List.of(), List.of(I32)));
        wasi.put("fd_write", type(List.of(I32, I32, I32, I32), List.of(I32)));
        wasi.put("fd_close", type(List.of(I32), List.of(I32)));
        wasi.put("fd_fdstat_get", type(List.of(I32, I32), List.of(I32)));
        wasi.put("fd_seek", type(List.of(I32, I64, I32, I32), List.of(I32)));
        return Map.of(ExtismKernel.MODULE, Map.copyOf(env), WASI, Map.copyOf(wasi));
    }

    /** Why an import outside {@link #allowed} is refused, in words for the plugin author. */
    static Optional<String> knownRefusal(String module, String name) {
        if (ExtismKernel.MODULE.equals(module)) {
            if (name.startsWith("var_")) {
                return Optional.of("Extism vars are disabled for policies: they would carry state between"
                        + " calls, and a decision must be a function of its input");
            }
            if (name.equals("http_request") || name.equals("http_status_code") || name.equals("http_headers")) {
                return Optional.of("network access is not available to policies");
            }
            if (!name.startsWith("log_")) {
                return Optional.of("this Extism kernel function is not part of policy ABI v1 (section 3.2)");
            }
        }
        if ("env".equals(module) && "abort".equals(name)) {
            return Optional.of("this is AssemblyScript's default abort handler; build with"
                    + " '--use abort=<your handler>' as the Sluice policy SDK does");
        }
        if (WASI.equals(module)) {
            if (name.startsWith("path_") || name.startsWith("fd_")) {
                return Optional.of("WASI filesystem access is not available to policies (no preopened"
                        + " directories, only stdout/stderr writes)");
            }
            if (name.startsWith("sock_")) {
                return Optional.of("network access is not available to policies");
            }
        }
        return Optional.empty();
    }

    private static FunctionType type(List<ValType> params, List<ValType> results) {
        return FunctionType.of(params, results);
    }

    /** Builds the import values of one guest instance bound to its own kernel instance, budget and scope. */
    static ImportValues forInstance(ExtismKernel kernel, Instance kernelInstance, MemoryBudget budget, CallScope scope) {
        List<HostFunction> fns = new ArrayList<>();
        Memory kernelMemory = kernelInstance.memory();
        ExportFunction length = kernelInstance.export("length");

        for (String name : KERNEL_FUNCTIONS) {
            FunctionType t = kernel.functions.get(name);
            ExportFunction target = kernelInstance.export(name);
            WasmFunctionHandle direct = directAccess(name, kernelMemory, scope);
            if (direct != null) {
                fns.add(new HostFunction(ExtismKernel.MODULE, name, t, direct));
            } else if (name.equals("alloc")) {
                fns.add(new HostFunction(ExtismKernel.MODULE, name, t, (inst, args) -> {
                    budget.checkRequest(args[0], "Extism kernel alloc");
                    return target.apply(args);
                }));
            } else {
                fns.add(new HostFunction(ExtismKernel.MODULE, name, t, (inst, args) -> target.apply(args)));
            }
        }
        // ABI v1: config always reports "not found"; policies are configured by code and labels.
        fns.add(new HostFunction(ExtismKernel.MODULE, "config_get", type(List.of(I64), List.of(I64)),
                (inst, args) -> new long[] {0L}));
        for (String level : LOG_LEVELS) {
            fns.add(new HostFunction(ExtismKernel.MODULE, "log_" + level, type(List.of(I64), List.of()), (inst, args) -> {
                long offset = args[0];
                long len = length.apply(offset)[0];
                if (offset != 0 && len > 0) {
                    int n = (int) Math.min(len, 64 * 1024);
                    scope.log(level, kernelMemory.readBytes((int) offset, n));
                }
                return null;
            }));
        }
        fns.add(new HostFunction(ExtismKernel.MODULE, "get_log_level", type(List.of(), List.of(I32)),
                (inst, args) -> new long[] {LOG_LEVEL_DEBUG}));

        fns.add(wasi("args_get", List.of(I32, I32), (inst, args) -> ok()));
        fns.add(wasi("environ_get", List.of(I32, I32), (inst, args) -> ok()));
        fns.add(wasi("args_sizes_get", List.of(I32, I32), GuestImports::zeroSizes));
        fns.add(wasi("environ_sizes_get", List.of(I32, I32), GuestImports::zeroSizes));
        fns.add(wasi("clock_res_get", List.of(I32, I32), (inst, args) -> {
            int id = (int) args[0];
            if (id != CLOCK_REALTIME && id != CLOCK_MONOTONIC) {
                return errno(EINVAL);
            }
            inst.memory().writeLong((int) args[1], 1_000_000L);
            return ok();
        }));
        fns.add(wasi("clock_time_get", List.of(I32, I64, I32), (inst, args) -> {
            int id = (int) args[0];
            if (id != CLOCK_REALTIME && id != CLOCK_MONOTONIC) {
                return errno(EINVAL);
            }
            inst.memory().writeLong((int) args[2], scope.timeNanos());
            return ok();
        }));
        fns.add(wasi("random_get", List.of(I32, I32), (inst, args) -> {
            int ptr = (int) args[0];
            int len = (int) args[1];
            if (len < 0) {
                return errno(EINVAL);
            }
            byte[] buf = new byte[len];
            for (int i = 0; i < len; i += 8) {
                long r = scope.nextRandom();
                for (int b = 0; b < 8 && i + b < len; b++) {
                    buf[i + b] = (byte) (r >>> (8 * b));
                }
            }
            inst.memory().write(ptr, buf);
            return ok();
        }));
        fns.add(new HostFunction(WASI, "proc_exit", type(List.of(I32), List.of()), (inst, args) -> {
            throw new WasiExitException((int) args[0]);
        }));
        fns.add(new HostFunction(WASI, "sched_yield", type(List.of(), List.of(I32)), (inst, args) -> ok()));
        fns.add(wasi("fd_write", List.of(I32, I32, I32, I32), (inst, args) -> fdWrite(inst, scope, args)));
        fns.add(wasi("fd_close", List.of(I32), (inst, args) -> errno(EBADF)));
        fns.add(wasi("fd_fdstat_get", List.of(I32, I32), (inst, args) -> {
            int fd = (int) args[0];
            if (fd != 1 && fd != 2) {
                return errno(EBADF);
            }
            int p = (int) args[1];
            Memory m = inst.memory();
            m.writeByte(p, (byte) 2); // character device
            m.writeShort(p + 2, (short) 0);
            m.writeLong(p + 8, 1L << 6); // fd_write right only
            m.writeLong(p + 16, 0L);
            return ok();
        }));
        fns.add(wasi("fd_seek", List.of(I32, I64, I32, I32), (inst, args) -> {
            int fd = (int) args[0];
            return errno(fd == 1 || fd == 2 ? ESPIPE : EBADF);
        }));
        return ImportValues.builder().addFunction(fns.toArray(new HostFunction[0])).build();
    }

    /**
     * The kernel's byte accessors, done in Java. Each of them is a guest-to-kernel round trip per 1 or 8
     * bytes, and a JSON input of a kilobyte takes a hundred of them; going through the kernel's own Wasm
     * code for that dominated the cost of a call. Semantics follow the kernel: input reads past the end
     * and memory accesses outside kernel memory read 0 or are ignored.
     */
    private static WasmFunctionHandle directAccess(String name, Memory kernelMemory, CallScope scope) {
        switch (name) {
            case "input_length":
                return (inst, args) -> new long[] {scope.input().length};
            case "input_load_u8":
                return (inst, args) -> {
                    byte[] in = scope.input();
                    long off = args[0];
                    return new long[] {off >= 0 && off < in.length ? in[(int) off] & 0xff : 0};
                };
            case "input_load_u64":
                return (inst, args) -> {
                    byte[] in = scope.input();
                    long off = args[0];
                    long v = 0;
                    if (off >= 0 && off < in.length) {
                        int start = (int) off;
                        int end = Math.min(in.length, start + 8);
                        for (int i = end - 1; i >= start; i--) {
                            v = (v << 8) | (in[i] & 0xff);
                        }
                    }
                    return new long[] {v};
                };
            case "load_u8":
                return (inst, args) -> new long[] {inKernel(kernelMemory, args[0], 1) ? kernelMemory.read((int) args[0]) & 0xff : 0};
            case "load_u64":
                return (inst, args) -> new long[] {inKernel(kernelMemory, args[0], 8) ? kernelMemory.readLong((int) args[0]) : 0};
            case "store_u8":
                return (inst, args) -> {
                    if (inKernel(kernelMemory, args[0], 1)) {
                        kernelMemory.writeByte((int) args[0], (byte) args[1]);
                    }
                    return null;
                };
            case "store_u64":
                return (inst, args) -> {
                    if (inKernel(kernelMemory, args[0], 8)) {
                        kernelMemory.writeLong((int) args[0], args[1]);
                    }
                    return null;
                };
            default:
                return null;
        }
    }

    private static boolean inKernel(Memory m, long offset, int size) {
        return offset > 0 && offset + size <= (long) m.pages() * Memory.PAGE_SIZE;
    }

    private static HostFunction wasi(String name, List<ValType> params, WasmFunctionHandle h) {
        return new HostFunction(WASI, name, type(params, List.of(I32)), h);
    }

    private static long[] zeroSizes(Instance inst, long... args) {
        inst.memory().writeI32((int) args[0], 0);
        inst.memory().writeI32((int) args[1], 0);
        return ok();
    }

    private static long[] fdWrite(Instance inst, CallScope scope, long... args) {
        int fd = (int) args[0];
        if (fd != 1 && fd != 2) {
            return errno(EBADF);
        }
        Memory m = inst.memory();
        int iovs = (int) args[1];
        int count = (int) args[2];
        long total = 0;
        for (int i = 0; i < count; i++) {
            int base = m.readInt(iovs + 8 * i);
            int len = m.readInt(iovs + 8 * i + 4);
            if (len < 0) {
                return errno(EINVAL);
            }
            if (len > 0) {
                scope.log(fd == 1 ? "stdout" : "stderr", m.readBytes(base, Math.min(len, 64 * 1024)));
            }
            total += len;
        }
        m.writeI32((int) args[3], (int) total);
        return ok();
    }

    private static long[] ok() {
        return new long[] {ESUCCESS};
    }

    private static long[] errno(int code) {
        return new long[] {code};
    }
}
