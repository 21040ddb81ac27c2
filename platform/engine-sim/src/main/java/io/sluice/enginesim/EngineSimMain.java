package io.sluice.enginesim;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Command line: hosts one or more simulated engine instances in one process.
 *
 * <pre>
 * java -jar sluice-engine-sim.jar --instance engine=llamacpp,port=0,model=dev-tiny,slots=4 \
 *      --instance engine=vllm,port=0 [--ports-file ports.json] [--host 127.0.0.1] [--exit-on-stdin-eof]
 * </pre>
 *
 * <p>Once every instance listens it writes the ports file (atomically: temp file, then rename) and then
 * prints one {@code engine-sim ready engine=... model=... port=... url=... engine_version=... digest=...}
 * line per instance to stdout, so a parent that has seen the lines can read the file. SIGTERM or
 * Ctrl-C stops every instance. Exit status 2 on a bad command line or a port that cannot be bound.
 */
public final class EngineSimMain {

    /** Prefix of the line printed per instance once it listens. */
    public static final String READY_PREFIX = "engine-sim ready ";

    private EngineSimMain() {}

    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("engine-sim: " + e.getMessage());
            System.err.println(usage());
            System.exit(2);
            return;
        }
        if (options.help) {
            System.out.println(usage());
            return;
        }
        List<EngineSimulator> running = new ArrayList<>();
        try {
            running.addAll(startAll(options.instances));
        } catch (IllegalStateException e) {
            System.err.println("engine-sim: " + e.getMessage());
            System.exit(2);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (EngineSimulator s : running) {
                s.stop();
            }
            System.out.println("engine-sim stopped");
            System.out.flush();
            stopped.countDown();
        }, "engine-sim-shutdown"));
        try {
            if (options.portsFile != null) {
                writePortsFile(options.portsFile, running);
            }
        } catch (IOException e) {
            System.err.println("engine-sim: cannot write ports file " + options.portsFile + ": " + e);
            System.exit(2);
            return;
        }
        printReady(System.out, running);
        if (options.exitOnStdinEof) {
            watchStdin();
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts every instance; on failure stops those already started and rethrows. */
    static List<EngineSimulator> startAll(List<InstanceSpec> specs) {
        List<EngineSimulator> started = new ArrayList<>();
        try {
            for (InstanceSpec spec : specs) {
                started.add(EngineSimulator.start(spec));
            }
            return started;
        } catch (IllegalStateException e) {
            started.forEach(EngineSimulator::stop);
            throw e;
        }
    }

    static void printReady(PrintStream out, List<EngineSimulator> running) {
        for (EngineSimulator s : running) {
            out.println(READY_PREFIX + "engine=" + s.engine().id() + " model=" + s.model() + " port=" + s.port()
                    + " url=" + s.url() + " engine_version=" + s.engineVersion() + " digest=" + s.digest());
        }
        out.flush();
    }

    static void writePortsFile(Path file, List<EngineSimulator> running) throws IOException {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < running.size(); i++) {
            sb.append(i == 0 ? "\n  " : ",\n  ").append(running.get(i).describeJson());
        }
        sb.append("\n]\n");
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, abs.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, sb.toString(), StandardCharsets.UTF_8);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void watchStdin() {
        Thread t = new Thread(() -> {
            InputStream in = System.in;
            byte[] buf = new byte[256];
            try {
                while (in.read(buf) >= 0) {
                    // Input is ignored; only its end matters.
                }
            } catch (IOException e) {
                // A broken stdin means the parent is gone as well.
            }
            System.exit(0);
        }, "engine-sim-stdin");
        t.setDaemon(true);
        t.start();
    }

    static String usage() {
        return String.join("\n",
                "usage: java -jar sluice-engine-sim.jar --instance SPEC [--instance SPEC ...]",
                "                [--ports-file FILE] [--host ADDRESS] [--exit-on-stdin-eof]",
                "  SPEC: comma-separated key=value: engine=llamacpp|vllm|tgi|triton (required), port (0 = free),",
                "        model, slots, tokens_per_s (<=0: as fast as possible), engine_version, ctx, digest (sha256",
                "        hex), load_ms, queue_timeout_ms, max_queue, fault=crash_mid_stream|hang|http_5xx|",
                "        slow_start|refuse_load|garbage, fault_after_tokens, fault_count, fault_status, fault_delay_ms",
                "  --host: bind address for instances that name none (default 127.0.0.1)",
                "  --ports-file: JSON array of {engine, model, port, url, engine_version, digest, ...}, written",
                "        atomically before the ready lines are printed",
                "  --exit-on-stdin-eof: exit when stdin closes (the parent went away)");
    }

    /** Parsed command line. */
    static final class Options {
        final List<InstanceSpec> instances = new ArrayList<>();
        Path portsFile;
        boolean exitOnStdinEof;
        boolean help;

        static Options parse(String[] args) {
            Options o = new Options();
            List<String> specs = new ArrayList<>();
            String host = null;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String value = null;
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 0) {
                    value = a.substring(eq + 1);
                    a = a.substring(0, eq);
                }
                switch (a) {
                    case "--instance" -> specs.add(value != null ? value : next(args, ++i, a));
                    case "--ports-file" -> o.portsFile = Path.of(value != null ? value : next(args, ++i, a));
                    case "--host" -> host = value != null ? value : next(args, ++i, a);
                    case "--exit-on-stdin-eof" -> o.exitOnStdinEof = true;
                    case "--help", "-h" -> o.help = true;
                    default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
                }
            }
            if (o.help) {
                return o;
            }
            if (specs.isEmpty()) {
                throw new IllegalArgumentException("at least one --instance is required");
            }
            for (String s : specs) {
                InstanceSpec spec = InstanceSpec.parse(s);
                if (host != null && !s.matches("(?i)(^|.*,)\\s*host\\s*=.*")) {
                    spec = spec.withHost(host);
                }
                o.instances.add(spec);
            }
            return o;
        }

        private static String next(String[] args, int i, String flag) {
            if (i >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            return args[i];
        }
    }
}
