package io.sluice.benchmarks.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The machine a result was measured on: without it a number cannot be compared with another. */
public final class MachineInfo {
    private MachineInfo() {}

    public static Map<String, Object> describe(Path root) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("nproc", Runtime.getRuntime().availableProcessors());
        m.put("cpu_model", firstValue(read("/proc/cpuinfo"), "model name"));
        String memTotal = firstValue(read("/proc/meminfo"), "MemTotal");
        m.put("mem_total", memTotal);
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("jvm", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version"));
        m.put("load_average_at_start", loadAverage());
        m.put("git_commit", git(root, "rev-parse", "HEAD"));
        m.put("git_branch", git(root, "rev-parse", "--abbrev-ref", "HEAD"));
        // The last commit that changed what runs on the measured path: a driver or docs commit does not change it.
        m.put("app_source_commit", git(root, "log", "-1", "--format=%H", "--", "platform/app", "platform/core", "platform/engines",
                "platform/policy-host", "db", "openapi"));
        return m;
    }

    /** 1, 5 and 15 minute load averages of the machine. */
    public static String loadAverage() {
        String[] f = read("/proc/loadavg").trim().split("\\s+");
        return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : "unknown";
    }

    /** The value of the first {@code key : value} line, as in /proc/cpuinfo and /proc/meminfo. */
    static String firstValue(String text, String key) {
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                return line.substring(colon + 1).trim();
            }
        }
        return "unknown";
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            return "";
        }
    }

    private static String git(Path root, String... args) {
        try {
            java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("git", "-C", root.toString()));
            cmd.addAll(java.util.List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
