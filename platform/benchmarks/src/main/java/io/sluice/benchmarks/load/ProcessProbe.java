package io.sluice.benchmarks.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what a process costs from outside it, so that the app under test runs unchanged: CPU time and
 * threads from {@code /proc} (Linux), heap after a full GC through {@code jcmd} (the JDK's own attach tool,
 * nothing to download). The parse methods are pure, for tests.
 */
final class ProcessProbe {
    private static final Pattern G1_USED = Pattern.compile("garbage-first heap\\s+total \\d+K, used (\\d+)K");
    private static final Pattern GENERATION_USED =
            Pattern.compile("(?m)^\\s*(?:def new generation|tenured generation|PSYoungGen|ParOldGen)\\s+total \\d+K, used (\\d+)K");
    private static final Pattern STATUS_FIELD = Pattern.compile("(?m)^(\\w+):\\s+(\\d+)");

    private final long pid;
    private final long ticksPerSecond;

    ProcessProbe(long pid) {
        this.pid = pid;
        this.ticksPerSecond = clockTicksPerSecond();
    }

    long pid() {
        return pid;
    }

    /** User + system CPU time of the whole process so far. */
    double cpuSeconds() throws IOException {
        return cpuTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat"))) / (double) ticksPerSecond;
    }

    int threads() throws IOException {
        return (int) statusValue(Files.readString(Path.of("/proc", Long.toString(pid), "status")), "Threads");
    }

    long rssMiB() throws IOException {
        return statusValue(Files.readString(Path.of("/proc", Long.toString(pid), "status")), "VmRSS") / 1024;
    }

    /** Forces a full GC in the process, then reads the heap in use; -1 when jcmd cannot attach. */
    double heapAfterFullGcMiB() {
        try {
            run(List.of("jcmd", Long.toString(pid), "GC.run"));
            return heapUsedKiB(run(List.of("jcmd", Long.toString(pid), "GC.heap_info"))) / 1024.0;
        } catch (IOException | RuntimeException e) {
            System.err.println("[bench] heap after GC not read: " + e.getMessage());
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * Time the JIT compilers have spent so far ({@code jstat -compiler}), -1 when it cannot be read. Compiling
     * is CPU the app spends while not yet warm: it tells a reader whether a window's CPU per task is steady state.
     */
    double jitCompileSeconds() {
        try {
            return jitSeconds(run(List.of("jstat", "-compiler", Long.toString(pid))));
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The {@code Time} column of {@code jstat -compiler} output. */
    static double jitSeconds(String jstatCompiler) {
        String[] lines = jstatCompiler.trim().split("\n");
        if (lines.length < 2) {
            throw new IllegalArgumentException("unrecognised jstat -compiler output: " + jstatCompiler);
        }
        List<String> header = List.of(lines[0].trim().split("\\s+"));
        String[] values = lines[1].trim().split("\\s+");
        int time = header.indexOf("Time");
        if (time < 0 || time >= values.length) {
            throw new IllegalArgumentException("no Time column in jstat -compiler output: " + lines[0]);
        }
        return Double.parseDouble(values[time]);
    }

    /**
     * utime + stime, in clock ticks, from a {@code /proc/<pid>/stat} line. The command name (field 2) may hold
     * spaces and parentheses, so fields are counted from the last {@code ')'}.
     */
    static long cpuTicks(String statLine) {
        int close = statLine.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + statLine);
        }
        String[] fields = statLine.substring(close + 1).trim().split("\\s+");
        // fields[0] is field 3 (state); utime and stime are fields 14 and 15
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** A numeric field of {@code /proc/<pid>/status} (kB for memory fields). */
    static long statusValue(String status, String field) {
        Matcher m = STATUS_FIELD.matcher(status);
        while (m.find()) {
            if (m.group(1).equals(field)) {
                return Long.parseLong(m.group(2));
            }
        }
        throw new IllegalArgumentException("no " + field + " in /proc status");
    }

    /** Heap in use from {@code jcmd GC.heap_info}: G1's total line, or the generations of Serial and Parallel. */
    static long heapUsedKiB(String heapInfo) {
        Matcher g1 = G1_USED.matcher(heapInfo);
        if (g1.find()) {
            return Long.parseLong(g1.group(1));
        }
        Matcher gen = GENERATION_USED.matcher(heapInfo);
        long sum = 0;
        boolean any = false;
        while (gen.find()) {
            sum += Long.parseLong(gen.group(1));
            any = true;
        }
        if (!any) {
            throw new IllegalArgumentException("unrecognised GC.heap_info output: " + heapInfo.lines().findFirst().orElse(""));
        }
        return sum;
    }

    private static long clockTicksPerSecond() {
        try {
            return Long.parseLong(run(List.of("getconf", "CLK_TCK")).trim());
        } catch (Exception e) {
            return 100; // USER_HZ on every Linux architecture the project runs on
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish within 60 s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited with " + p.exitValue() + ": " + new String(out, StandardCharsets.UTF_8).trim());
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
