package io.sluice.policy.host.internal.wasm;

import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyValidationException.Reason;
import io.sluice.policy.host.PolicyValidationException;

/**
 * What a module's section headers declare, read without decoding a single instruction: the number of
 * functions, the size of each function body and of the code section, and the declared initial memory. Reading
 * them costs a pass over the headers (microseconds for a 4 MiB module), while compiling a module costs seconds
 * and hundreds of MiB; so a module whose declared shape is past the compile budget is refused before the
 * parser or the compiler sees it (ADR 0025). Malformed headers are left to the parser, which names the fault.
 */
public record ModuleShape(int functions, int largestBodyBytes, long codeBytes) {
    private static final int CODE_SECTION = 10;
    private static final int FUNCTION_SECTION = 3;
    private static final int IMPORT_SECTION = 2;

    /**
     * Reads the headers; returns null when the bytes are not laid out like a module (the parser reports why).
     */
    public static ModuleShape read(byte[] wasm) {
        Reader r = new Reader(wasm);
        if (wasm.length < 8 || wasm[0] != 0 || wasm[1] != 'a' || wasm[2] != 's' || wasm[3] != 'm') {
            return null;
        }
        r.pos = 8;
        int importedFunctions = 0;
        int definedFunctions = 0;
        int largest = 0;
        long code = 0;
        try {
            while (r.pos < wasm.length) {
                int id = wasm[r.pos++] & 0xff;
                long size = r.u32();
                int end = Math.toIntExact(r.pos + size);
                if (end > wasm.length) {
                    return null;
                }
                if (id == FUNCTION_SECTION) {
                    definedFunctions = (int) Math.min(Integer.MAX_VALUE, r.u32());
                } else if (id == IMPORT_SECTION) {
                    importedFunctions = countFunctionImports(r, end);
                } else if (id == CODE_SECTION) {
                    code = size;
                    long bodies = r.u32();
                    for (long i = 0; i < bodies && r.pos < end; i++) {
                        long body = r.u32();
                        largest = (int) Math.max(largest, Math.min(body, Integer.MAX_VALUE));
                        r.pos = Math.toIntExact(r.pos + body);
                    }
                }
                r.pos = end;
            }
        } catch (ArithmeticException | ArrayIndexOutOfBoundsException e) {
            return null;
        }
        return new ModuleShape(importedFunctions + definedFunctions, largest, code);
    }

    private static int countFunctionImports(Reader r, int end) {
        long count = r.u32();
        int functions = 0;
        for (long i = 0; i < count && r.pos < end; i++) {
            r.pos = Math.toIntExact(r.pos + r.u32()); // module name
            r.pos = Math.toIntExact(r.pos + r.u32()); // field name
            int kind = r.bytes[r.pos++] & 0xff;
            switch (kind) {
                case 0 -> {
                    r.u32();
                    functions++;
                }
                case 1 -> {
                    r.pos++; // reference type
                    limits(r);
                }
                case 2 -> limits(r);
                case 3 -> r.pos += 2; // value type, mutability
                default -> {
                    return functions; // unknown kind: the parser will refuse the module
                }
            }
        }
        return functions;
    }

    private static void limits(Reader r) {
        int flags = r.bytes[r.pos++] & 0xff;
        r.u32();
        if ((flags & 1) != 0) {
            r.u32();
        }
    }

    /** Refuses the module if its shape is past the limits, naming the first limit it passes. */
    public void check(PolicyLimits limits) throws PolicyValidationException {
        if (functions > limits.maxFunctions()) {
            throw new PolicyValidationException(Reason.TOO_COMPLEX, "module declares " + functions
                    + " functions; at most " + limits.maxFunctions() + " are compiled");
        }
        if (largestBodyBytes > limits.maxFunctionBodyBytes()) {
            throw new PolicyValidationException(Reason.TOO_COMPLEX, "module has a function body of " + largestBodyBytes
                    + " bytes; at most " + limits.maxFunctionBodyBytes() + " bytes per function are compiled (split it"
                    + " into smaller functions)");
        }
        if (codeBytes > limits.maxCodeBytes()) {
            throw new PolicyValidationException(Reason.TOO_COMPLEX, "module has " + codeBytes
                    + " bytes of code; at most " + limits.maxCodeBytes() + " bytes are compiled");
        }
    }

    /** Unsigned LEB128 over a byte array; out-of-range reads throw and mean "not a module". */
    private static final class Reader {
        final byte[] bytes;
        int pos;

        Reader(byte[] bytes) {
            this.bytes = bytes;
        }

        long u32() {
            long result = 0;
            int shift = 0;
            while (true) {
                int b = bytes[pos++] & 0xff;
                result |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    return result;
                }
                shift += 7;
                if (shift > 35) {
                    throw new ArithmeticException("LEB128 too long");
                }
            }
        }
    }
}
