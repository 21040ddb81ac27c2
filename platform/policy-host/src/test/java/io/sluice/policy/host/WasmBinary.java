package io.sluice.policy.host;

import java.io.ByteArrayOutputStream;

/**
 * Writes the few binary modules tests need that are impractical as WAT text: a function with tens of
 * thousands of instructions, too large for one JVM method.
 */
final class WasmBinary {
    private WasmBinary() {}

    /**
     * A module exporting memory, {@code describe} and an {@code admit} whose body repeats
     * {@code local.get 0; i32.const 1; i32.add; local.set 0} {@code repeats} times.
     */
    static byte[] hugeAdmit(int repeats) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});
        // type section: () -> i32
        section(out, 1, new byte[] {0x01, 0x60, 0x00, 0x01, 0x7f});
        // function section: two functions of type 0
        section(out, 3, new byte[] {0x02, 0x00, 0x00});
        // memory section: one memory, min 1 page
        section(out, 5, new byte[] {0x01, 0x00, 0x01});
        ByteArrayOutputStream exports = new ByteArrayOutputStream();
        exports.write(3);
        export(exports, "memory", 2, 0);
        export(exports, "describe", 0, 0);
        export(exports, "admit", 0, 1);
        section(out, 7, exports.toByteArray());

        ByteArrayOutputStream describeBody = new ByteArrayOutputStream();
        describeBody.writeBytes(new byte[] {0x00, 0x41, 0x00, 0x0b});
        ByteArrayOutputStream admitBody = new ByteArrayOutputStream();
        admitBody.writeBytes(new byte[] {0x01, 0x01, 0x7f}); // one local i32
        for (int i = 0; i < repeats; i++) {
            admitBody.writeBytes(new byte[] {0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00});
        }
        admitBody.writeBytes(new byte[] {0x20, 0x00, 0x0b});
        ByteArrayOutputStream code = new ByteArrayOutputStream();
        code.write(2);
        leb(code, describeBody.size());
        code.writeBytes(describeBody.toByteArray());
        leb(code, admitBody.size());
        code.writeBytes(admitBody.toByteArray());
        section(out, 10, code.toByteArray());
        return out.toByteArray();
    }

    private static void export(ByteArrayOutputStream out, String name, int kind, int index) {
        leb(out, name.length());
        out.writeBytes(name.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.write(kind);
        leb(out, index);
    }

    private static void section(ByteArrayOutputStream out, int id, byte[] content) {
        out.write(id);
        leb(out, content.length);
        out.writeBytes(content);
    }

    private static void leb(ByteArrayOutputStream out, int value) {
        int v = value;
        do {
            int b = v & 0x7f;
            v >>>= 7;
            out.write(v != 0 ? b | 0x80 : b);
        } while (v != 0);
    }
}
