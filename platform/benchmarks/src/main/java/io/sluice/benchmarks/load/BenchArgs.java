package io.sluice.benchmarks.load;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The command line of {@code bin/sluice bench}, checked before anything starts: a mistyped option must cost
 * a second, not a five-minute run with the wrong load.
 *
 * @param tokensPerSecond simulator pacing per generation (streams); admissions run the simulator unpaced
 * @param durationSeconds measured window of one phase
 * @param warmupSeconds warm-up of each side before the measured phases
 * @param maxTasksPerPhase upper bound of tasks a phase starts, whatever the duration
 * @param phases measured phases of {@code admissions} (streams always run four, ABBA)
 * @param api which Sluice API the streams scenario drives: the task API, the OpenAI-compatible facade, or both side by
 *     side (then six phases: direct, tasks, facade, facade, tasks, direct)
 * @param relay whether streams also runs the direct load through {@link StreamRelay}, a bare streaming proxy, to show
 *     what any gateway costs on this machine next to what Sluice costs (its phases come right after the direct ones)
 * @param sessionTurns tasks of the task API per session (SES-1..3): 1 opens a fresh session per task; more continue a
 *     session for that many turns, one task at a time, so that turn counting, session updates and replica affinity
 *     are on the measured path (issue 10's sessions-on run). At most 8, the default {@code max_turns} of a session
 * @param target an already running Sluice, or null to start one
 * @param engineUrl the simulator behind {@code target} for the direct side, or null to skip that side
 * @param appPid process of {@code target}, for CPU, heap and threads; 0 when unknown
 */
public record BenchArgs(
        Scenario scenario,
        int clients,
        int tokensPerSecond,
        int maxTokens,
        int durationSeconds,
        int warmupSeconds,
        long maxTasksPerPhase,
        int phases,
        Api api,
        boolean relay,
        int sessionTurns,
        URI target,
        String token,
        URI tokenUrl,
        URI engineUrl,
        long appPid,
        Path root,
        Path resultsDir,
        Path doc,
        List<String> commandLine) {

    public enum Scenario {
        STREAMS,
        ADMISSIONS,
        REPORT
    }

    /** The Sluice API a streams run drives (ADM-9's facade is held to the task API's cost this way). */
    public enum Api {
        TASKS,
        OPENAI,
        BOTH
    }

    /** A bad command line; the message says what is wrong and what is expected. */
    public static final class BadArguments extends IllegalArgumentException {
        BadArguments(String message) {
            super(message);
        }
    }

    private static final Set<String> COMMON = Set.of("--root", "--results", "--doc");
    private static final Set<String> LOAD = Set.of(
            "--clients",
            "--duration",
            "--warmup",
            "--max-tasks",
            "--target",
            "--token",
            "--token-url",
            "--engine-url",
            "--app-pid");
    private static final Set<String> STREAMS_ONLY = Set.of("--tokens-per-s", "--max-tokens", "--api", "--relay", "--session-turns");
    private static final Set<String> ADMISSIONS_ONLY = Set.of("--phases");

    public static final String USAGE =
            """
            usage: bin/sluice bench streams    [--clients N] [--tokens-per-s R] [--max-tokens M] [--duration S]
                                               [--api tasks|openai|both] [--relay yes|no] [--session-turns T]
                                               [--warmup S] [--max-tasks N] [--target URL --token T | --token-url U]
                                               [--engine-url URL] [--app-pid PID]
                   bin/sluice bench admissions [--clients N] [--duration S] [--warmup S] [--phases N] [--max-tasks N]
                                               [--target URL ...]
                   bin/sluice bench report
            Without --target the driver starts, on loopback, the engine simulator, embedded PostgreSQL, a dev OIDC
            issuer and the packaged app as a separate process, and stops them at the end.""";

    public static BenchArgs parse(List<String> argv) {
        if (argv.isEmpty()) {
            throw new BadArguments("missing scenario: streams, admissions or report");
        }
        Scenario scenario =
                switch (argv.get(0)) {
                    case "streams" -> Scenario.STREAMS;
                    case "admissions" -> Scenario.ADMISSIONS;
                    case "report" -> Scenario.REPORT;
                    default -> throw new BadArguments(
                            "unknown scenario '" + argv.get(0) + "': expected streams, admissions or report");
                };
        Map<String, String> options = options(argv.subList(1, argv.size()), allowed(scenario));
        Path root = Path.of(options.getOrDefault("--root", ".")).toAbsolutePath().normalize();
        Path results = options.containsKey("--results")
                ? Path.of(options.get("--results"))
                : root.resolve("docs/benchmarks/results/hot-path");
        Path doc = options.containsKey("--doc") ? Path.of(options.get("--doc")) : root.resolve("docs/benchmarks/hot-path.md");
        boolean streams = scenario == Scenario.STREAMS;
        int clients = positiveInt(options, "--clients", streams ? 50 : 64, 100_000);
        int tokensPerSecond = positiveInt(options, "--tokens-per-s", 50, 100_000);
        int maxTokens = positiveInt(options, "--max-tokens", streams ? 16 : 1, 1_048_576);
        int duration = positiveInt(options, "--duration", streams ? 60 : 30, 86_400);
        int warmup = nonNegativeInt(options, "--warmup", streams ? 15 : 10, 86_400);
        long maxTasks = positiveLong(options, "--max-tasks", 10_000_000L);
        int phases = positiveInt(options, "--phases", 2, 100);
        Api api = switch (options.getOrDefault("--api", "tasks")) {
            case "tasks" -> Api.TASKS;
            case "openai" -> Api.OPENAI;
            case "both" -> Api.BOTH;
            default -> throw new BadArguments("--api must be tasks, openai or both");
        };
        boolean relay = switch (options.getOrDefault("--relay", "no")) {
            case "yes" -> true;
            case "no" -> false;
            default -> throw new BadArguments("--relay must be yes or no");
        };
        int sessionTurns = positiveInt(options, "--session-turns", 1, 8);
        URI target = loopbackUri(options, "--target");
        URI tokenUrl = loopbackUri(options, "--token-url");
        URI engineUrl = loopbackUri(options, "--engine-url");
        String token = options.get("--token");
        long appPid = options.containsKey("--app-pid") ? positiveLong(options, "--app-pid", 0) : 0;
        if (target == null && (token != null || tokenUrl != null || engineUrl != null || appPid != 0)) {
            throw new BadArguments("--token, --token-url, --engine-url and --app-pid describe a running stack: give --target too");
        }
        if (target != null && token == null && tokenUrl == null) {
            throw new BadArguments("--target needs a tenant token: --token T or --token-url U (the dev stack's token endpoint)");
        }
        if (relay && target != null) {
            throw new BadArguments("--relay yes needs the stack the driver starts itself: leave out --target");
        }
        if (token != null && tokenUrl != null) {
            throw new BadArguments("give either --token or --token-url, not both");
        }
        return new BenchArgs(scenario, clients, tokensPerSecond, maxTokens, duration, warmup, maxTasks, phases, api, relay, sessionTurns, target, token,
                tokenUrl, engineUrl, appPid, root, results, doc, List.copyOf(argv));
    }

    /** The command a reader types to repeat this run (secrets and machine-local paths left out). */
    public String displayCommand() {
        List<String> shown = new ArrayList<>(List.of("bin/sluice", "bench"));
        for (int i = 0; i < commandLine.size(); i++) {
            String a = commandLine.get(i);
            if (a.equals("--token") || a.equals("--root") || a.startsWith("--token=") || a.startsWith("--root=")) {
                if (!a.contains("=")) {
                    i++;
                }
                continue;
            }
            shown.add(a);
        }
        return String.join(" ", shown);
    }

    private static Set<String> allowed(Scenario scenario) {
        Set<String> all = new java.util.HashSet<>(COMMON);
        if (scenario != Scenario.REPORT) {
            all.addAll(LOAD);
        }
        if (scenario == Scenario.STREAMS) {
            all.addAll(STREAMS_ONLY);
        }
        if (scenario == Scenario.ADMISSIONS) {
            all.addAll(ADMISSIONS_ONLY);
        }
        return all;
    }

    private static Map<String, String> options(List<String> args, Set<String> allowed) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String name = arg;
            String value;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.size()) {
                value = args.get(++i);
            } else {
                value = null;
            }
            if (!allowed.contains(name)) {
                throw new BadArguments("unknown option '" + name + "'; this scenario takes " + new java.util.TreeSet<>(allowed));
            }
            if (value == null) {
                throw new BadArguments(name + " needs a value");
            }
            if (options.put(name, value) != null) {
                throw new BadArguments(name + " given twice");
            }
        }
        return options;
    }

    private static int positiveInt(Map<String, String> options, String name, int dflt, int max) {
        return (int) bounded(options, name, dflt, 1, max, "a positive integer");
    }

    private static int nonNegativeInt(Map<String, String> options, String name, int dflt, int max) {
        return (int) bounded(options, name, dflt, 0, max, "an integer ≥ 0");
    }

    private static long positiveLong(Map<String, String> options, String name, long dflt) {
        return bounded(options, name, dflt, 1, Long.MAX_VALUE, "a positive integer");
    }

    private static long bounded(Map<String, String> options, String name, long dflt, long min, long max, String what) {
        String raw = options.get(name);
        if (raw == null) {
            return dflt;
        }
        long v;
        try {
            v = Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw new BadArguments(name + " must be " + what + ", got '" + raw + "'");
        }
        if (v < min || v > max) {
            throw new BadArguments(name + " must be " + what + (max < Long.MAX_VALUE ? " up to " + max : "") + ", got " + v);
        }
        return v;
    }

    /** Load is only ever sent to this machine: a benchmark must never hammer a shared or remote service. */
    private static URI loopbackUri(Map<String, String> options, String name) {
        String raw = options.get(name);
        if (raw == null) {
            return null;
        }
        URI uri;
        try {
            uri = URI.create(raw);
        } catch (IllegalArgumentException e) {
            throw new BadArguments(name + " is not a URL: '" + raw + "'");
        }
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new BadArguments(name + " must be an http:// URL with a host, got '" + raw + "'");
        }
        if (!Set.of("127.0.0.1", "localhost", "[::1]", "::1").contains(uri.getHost())) {
            throw new BadArguments(name + " must point at loopback (127.0.0.1, localhost, ::1), got host '" + uri.getHost() + "'");
        }
        return uri;
    }
}
