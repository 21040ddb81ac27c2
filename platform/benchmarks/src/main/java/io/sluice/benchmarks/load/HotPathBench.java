package io.sluice.benchmarks.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sluice.benchmarks.load.BenchArgs.BadArguments;
import io.sluice.benchmarks.load.BenchArgs.Scenario;
import io.sluice.benchmarks.load.TaskClient.Side;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bin/sluice bench}: the hot-path load driver (issue 9). {@code streams} runs the same closed-loop
 * generation load directly against the engine simulator and through Sluice in one run, phases in ABBA order
 * after a warm-up of each side, so that drift on a shared machine affects both sides alike;
 * {@code admissions} measures submits alone; {@code report} regenerates the tables of
 * {@code docs/benchmarks/hot-path.md} from the result files.
 */
public final class HotPathBench {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Simulator slots above the client count, so that the engine itself never queues a generation. */
    private static final double SLOT_HEADROOM = 1.2;

    private final BenchArgs args;
    private final Instant startedAt = Instant.now();
    /** Taken before anything starts, so that the load average shows the machine before this run added to it. */
    private final Map<String, Object> machine;

    private HotPathBench(BenchArgs args) {
        this.args = args;
        this.machine = args.scenario() == Scenario.REPORT ? Map.of() : MachineInfo.describe(args.root());
    }

    public static void main(String[] argv) {
        BenchArgs args;
        try {
            args = BenchArgs.parse(Arrays.asList(argv));
        } catch (BadArguments e) {
            System.err.println("sluice bench: " + e.getMessage());
            System.err.println(BenchArgs.USAGE);
            System.exit(64);
            return;
        }
        try {
            new HotPathBench(args).run();
            System.exit(0);
        } catch (Exception e) {
            System.err.println("sluice bench: failed: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    private void run() throws Exception {
        if (args.scenario() == Scenario.REPORT) {
            report();
            return;
        }
        Target target = null;
        LocalStack stack = null;
        Vertx vertx = null;
        try {
            if (args.target() == null) {
                int slots = (int) Math.ceil(args.clients() * SLOT_HEADROOM) + 4;
                // Admissions measure the submit path, so generations run unpaced and never hold the queue.
                int pacing = args.scenario() == Scenario.STREAMS ? args.tokensPerSecond() : 0;
                stack = LocalStack.start(args.root(), slots, pacing);
                if (args.relay()) {
                    stack.startRelay();
                }
                String tenant = "bench-" + UUID.randomUUID().toString().substring(0, 8);
                withQuotas(stack, tenant);
                withPolicyShadow(stack, tenant);
                target = new Target(stack.appUrl(), stack.engineUrl(), stack.appPid(), stack.tenantToken(tenant), "local", slots,
                        stack.relayUrl(), stack.relayPid());
            } else {
                target = new Target(args.target(), args.engineUrl(), args.appPid(), token(), "running stack " + args.target(), 0, null, 0);
            }
            // One event loop: enough for thousands of streams on loopback, keeps the driver's own CPU small
            // (it shares the machine with what it measures) and lets the recorders go without locks.
            vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(2).setInternalBlockingPoolSize(2));
            HttpClient http = vertx.createHttpClient(
                    new HttpClientOptions().setKeepAlive(true).setConnectTimeout(10_000).setTcpNoDelay(true),
                    new PoolOptions().setHttp1MaxSize(2 * args.clients() + 16).setMaxWaitQueueSize(-1));
            Context context = vertx.getOrCreateContext();
            Double idleCores = target.appPid() > 0 ? idleCpuCores(new ProcessProbe(target.appPid())) : null;
            Map<String, Object> result = args.scenario() == Scenario.STREAMS
                    ? streams(context, http, target)
                    : admissions(context, http, target);
            if (idleCores != null && result.get("app") instanceof Map<?, ?> app && !app.isEmpty()) {
                @SuppressWarnings("unchecked")
                Map<String, Object> appFigures = (Map<String, Object>) app;
                appFigures.put("idle_cpu_cores", LatencySummary.round(idleCores));
            }
            Path file = write(result);
            System.out.println("result written to " + args.root().relativize(file.toAbsolutePath()));
        } finally {
            if (vertx != null) {
                vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            if (stack != null) {
                stack.close();
            }
        }
    }

    /**
     * CPU the app spends with no load (schedulers, health checks, metrics), in cores: per-task CPU includes it,
     * so a reader needs it to tell per-task work from background work.
     */
    private static double idleCpuCores(ProcessProbe probe) throws Exception {
        long seconds = 5;
        double before = probe.cpuSeconds();
        TimeUnit.SECONDS.sleep(seconds);
        double idle = (probe.cpuSeconds() - before) / seconds;
        LocalStack.log("app CPU with no load: %.3f cores", idle);
        return idle;
    }

    /** What the load goes to. {@code appPid} 0 means the app's process is unknown (not measured). */
    private record Target(URI sluice, URI engine, long appPid, String token, String description, int simulatorSlots, URI relay,
            long relayPid) {}

    // ------------------------------------------------------------------------------------------- streams

    private Map<String, Object> streams(Context context, HttpClient http, Target target) throws Exception {
        double streamSeconds = args.maxTokens() / (double) args.tokensPerSecond();
        long rampNanos = (long) (Math.max(1.0, streamSeconds) * 1e9);
        long drainNanos = (long) (Math.max(30.0, 3 * streamSeconds) * 1e9);
        long idleTimeoutMs = (long) Math.max(60_000, 5_000 * streamSeconds);
        TaskClient tasks = args.api() == BenchArgs.Api.OPENAI
                ? null
                : new SluiceTaskClient(http, target.sluice(), target.token(), args.maxTokens(), false, idleTimeoutMs);
        TaskClient sessions = args.sessionTurns() > 1 && tasks != null
                ? new SluiceTaskClient(http, target.sluice(), target.token(), args.maxTokens(), false, idleTimeoutMs, args.sessionTurns())
                : null;
        TaskClient facade = args.api() == BenchArgs.Api.TASKS
                ? null
                : new OpenAiTaskClient(http, target.sluice(), target.token(), args.maxTokens(), idleTimeoutMs);
        TaskClient direct = target.engine() == null ? null : new DirectEngineClient(http, target.engine(), args.maxTokens(), idleTimeoutMs);
        TaskClient relay = target.relay() == null
                ? null
                : new DirectEngineClient(Side.RELAY, http, target.relay(), args.maxTokens(), idleTimeoutMs);
        ProcessProbe probe = target.appPid() > 0 ? new ProcessProbe(target.appPid()) : null;
        ProcessProbe relayProbe = target.relayPid() > 0 ? new ProcessProbe(target.relayPid()) : null;
        if (direct == null) {
            LocalStack.log("no --engine-url: the direct side is skipped; only Sluice is measured");
        }
        // The Sluice sides in the middle, mirrored: ABBA, or A B C C B A with both APIs. A drift over the run (JIT,
        // table growth, neighbours on the machine) then hits every side alike.
        List<TaskClient> sluiceSides = new ArrayList<>();
        if (tasks != null) {
            sluiceSides.add(tasks);
        }
        if (sessions != null) {
            sluiceSides.add(sessions);
        }
        if (facade != null) {
            sluiceSides.add(facade);
        }
        List<TaskClient> order = new ArrayList<>();
        if (direct != null) {
            order.add(direct);
        }
        if (relay != null) {
            order.add(relay);
        }
        order.addAll(sluiceSides);
        List<TaskClient> mirrored = new ArrayList<>(order);
        java.util.Collections.reverse(mirrored);
        order.addAll(mirrored);

        List<PhaseResult> measured = new ArrayList<>();
        if (args.warmupSeconds() > 0) {
            if (direct != null) {
                phase(context, direct, "warm-up direct", rampNanos, secondsToNanos(args.warmupSeconds()), drainNanos, null);
            }
            if (relay != null) {
                phase(context, relay, "warm-up relay", rampNanos, secondsToNanos(args.warmupSeconds()), drainNanos, null);
            }
            for (TaskClient c : sluiceSides) {
                phase(context, c, "warm-up " + c.side().wire(), rampNanos, secondsToNanos(args.warmupSeconds()), drainNanos, null);
            }
        }
        int n = 0;
        for (TaskClient c : order) {
            n++;
            measured.add(phase(context, c, c.side().wire() + "#" + n, rampNanos, secondsToNanos(args.durationSeconds()), drainNanos,
                    switch (c.side()) {
                        case DIRECT -> null;
                        case RELAY -> relayProbe;
                        case SLUICE, SESSIONS, OPENAI -> probe;
                    }));
        }

        Map<String, Object> result = header("streams", target);
        Map<String, Object> cfg = config(target);
        cfg.put("tokens_per_s", args.tokensPerSecond());
        cfg.put("max_tokens", args.maxTokens());
        cfg.put("ramp_s", rampNanos / 1e9);
        result.put("config", cfg);
        result.put("phases", measured.stream().map(PhaseResult::toJson).toList());
        cfg.put("api", args.api().name().toLowerCase(java.util.Locale.ROOT));
        if (relay != null) {
            cfg.put("relay", true);
        }
        if (args.sessionTurns() > 1) {
            cfg.put("session_turns", args.sessionTurns());
        }
        Map<String, Object> sides = new LinkedHashMap<>();
        SideSummary directSide = SideSummary.of(Side.DIRECT, measured);
        SideSummary sluiceSide = SideSummary.of(Side.SLUICE, measured);
        SideSummary facadeSide = SideSummary.of(Side.OPENAI, measured);
        SideSummary relaySide = SideSummary.of(Side.RELAY, measured);
        SideSummary sessionsSide = SideSummary.of(Side.SESSIONS, measured);
        if (directSide != null) {
            sides.put("direct", directSide.toJson());
        }
        if (relaySide != null) {
            sides.put("relay", relaySide.toJson());
        }
        if (sessionsSide != null) {
            sides.put("sessions", sessionsSide.toJson());
        }
        if (sluiceSide != null) {
            sides.put("sluice", sluiceSide.toJson());
        }
        if (facadeSide != null) {
            sides.put("openai", facadeSide.toJson());
        }
        result.put("sides", sides);
        if (directSide != null && sluiceSide != null) {
            result.put("added", added(directSide, sluiceSide));
        }
        if (directSide != null && facadeSide != null) {
            result.put("added_openai", added(directSide, facadeSide));
        }
        if (directSide != null && relaySide != null) {
            result.put("added_relay", added(directSide, relaySide));
        }
        if (directSide != null && sessionsSide != null) {
            result.put("added_sessions", added(directSide, sessionsSide));
        }
        // "app" stays the task API's figures (the report table reads them); the facade's are kept beside them.
        result.put("app", appSummary(measured.stream().filter(p -> p.side() == (sluiceSide != null ? Side.SLUICE : Side.OPENAI)).toList()));
        if (sluiceSide != null && facadeSide != null) {
            result.put("app_openai", appSummary(measured.stream().filter(p -> p.side() == Side.OPENAI).toList()));
        }
        if (sessionsSide != null) {
            result.put("app_sessions", appSummary(measured.stream().filter(p -> p.side() == Side.SESSIONS).toList()));
        }
        if (relaySide != null) {
            // The relay's own process over its phases: the floor the app's figures are read against.
            result.put("relay_process", appSummary(measured.stream().filter(p -> p.side() == Side.RELAY).toList()));
        }
        finish(result);
        printStreamsSummary(java.util.stream.Stream.of(directSide, relaySide, sluiceSide, sessionsSide, facadeSide).filter(java.util.Objects::nonNull).toList(), result);
        return result;
    }

    // ---------------------------------------------------------------------------------------- admissions

    /**
     * With {@code SLUICE_BENCH_QUOTA_TENANTS=N}, registers N tenants, the measured one among them, each with every quota
     * set (SCH-3) but too large to refuse anything: the run then measures what enforcing quotas costs per admission.
     */
    private static void withQuotas(LocalStack stack, String measured) throws Exception {
        String n = System.getenv("SLUICE_BENCH_QUOTA_TENANTS");
        if (n == null || n.isBlank()) {
            return;
        }
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        String quotas = "{\"max_concurrent\":100000,\"max_queued\":1000000,\"rps\":1000000,\"burst\":1000000,"
                + "\"tokens_per_minute\":1000000000000}";
        int count = Integer.parseInt(n.trim());
        for (int i = 0; i < count; i++) {
            String tenant = i == 0 ? measured : measured + "-q" + i;
            for (String[] call : List.of(new String[] {"/v1/tenants/" + tenant, "{}"},
                    new String[] {"/v1/tenants/" + tenant + "/quotas", quotas})) {
                var r = client.send(java.net.http.HttpRequest.newBuilder(stack.appUrl().resolve(call[0]))
                        .header("Authorization", "Bearer " + stack.adminToken()).header("Content-Type", "application/json")
                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(call[1])).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() / 100 != 2) {
                    throw new IllegalStateException(call[0] + " answered " + r.statusCode() + ": " + r.body());
                }
            }
        }
        System.err.printf("bench: %d tenants registered with quotas on, the measured one among them%n", count);
    }

    /**
     * With {@code SLUICE_BENCH_POLICY_SHADOW=bound|spin|trap} (POL-8), binds the model-allowlist example to the measured
     * tenant's {@code admit} hook; with {@code spin} or {@code trap} also a shadow candidate of it that spins until its
     * CPU limit or traps (policy-examples/testing). Modules are read from {@code SLUICE_BENCH_POLICY_DIR} (default: the
     * policy-examples build output). {@code bound} against {@code spin} shows what a hostile shadow costs admission.
     */
    private void withPolicyShadow(LocalStack stack, String measured) throws Exception {
        String mode = policyShadowMode();
        if (mode == null) {
            return;
        }
        String dirSetting = System.getenv("SLUICE_BENCH_POLICY_DIR");
        java.nio.file.Path dir = dirSetting == null || dirSetting.isBlank()
                ? args.root().resolve("policy-examples/target/classes/policies")
                : java.nio.file.Path.of(dirSetting);
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        String token = stack.tenantToken(measured);
        List<String> modules = new ArrayList<>(List.of("examples/model-allowlist.wasm"));
        String candidate = switch (mode) {
            case "bound" -> null;
            case "spin" -> "3.0.0";
            case "trap" -> "4.0.0";
            default -> throw new IllegalArgumentException("SLUICE_BENCH_POLICY_SHADOW must be bound, spin or trap, not " + mode);
        };
        if (candidate != null) {
            modules.add("testing/model-allowlist-" + mode + ".wasm");
        }
        for (String m : modules) {
            send(client, java.net.http.HttpRequest.newBuilder(stack.appUrl().resolve("/v1/policies/model-allowlist/versions"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/wasm")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofFile(dir.resolve(m))).build());
        }
        send(client, java.net.http.HttpRequest.newBuilder(stack.appUrl().resolve("/v1/policies/model-allowlist/binding"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"version\":\"1.0.0\",\"hooks\":[\"admit\"]}")).build());
        if (candidate != null) {
            send(client, java.net.http.HttpRequest.newBuilder(stack.appUrl().resolve("/v1/policies/model-allowlist/shadow"))
                    .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                    .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"version\":\"" + candidate + "\"}")).build());
        }
        System.err.printf("bench: model-allowlist 1.0.0 bound to admit%s%n", candidate == null ? "" : ", shadow " + candidate + " (" + mode + ")");
    }

    private static String policyShadowMode() {
        String mode = System.getenv("SLUICE_BENCH_POLICY_SHADOW");
        return mode == null || mode.isBlank() ? null : mode.trim();
    }

    private static void send(java.net.http.HttpClient client, java.net.http.HttpRequest request) throws Exception {
        var r = client.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(request.method() + " " + request.uri() + " answered " + r.statusCode() + ": " + r.body());
        }
    }

    private Map<String, Object> admissions(Context context, HttpClient http, Target target) throws Exception {
        SluiceTaskClient sluice = new SluiceTaskClient(http, target.sluice(), target.token(), args.maxTokens(), true, 60_000);
        ProcessProbe probe = target.appPid() > 0 ? new ProcessProbe(target.appPid()) : null;
        long rampNanos = TimeUnit.SECONDS.toNanos(1);
        long drainNanos = TimeUnit.SECONDS.toNanos(60);
        if (args.warmupSeconds() > 0) {
            phase(context, sluice, "warm-up admissions", rampNanos, secondsToNanos(args.warmupSeconds()), drainNanos, null);
        }
        List<PhaseResult> measured = new ArrayList<>();
        for (int i = 1; i <= args.phases(); i++) {
            measured.add(phase(context, sluice, "admissions#" + i, rampNanos, secondsToNanos(args.durationSeconds()), drainNanos, probe));
        }
        Map<String, Object> result = header("admissions", target);
        Map<String, Object> cfg = config(target);
        cfg.put("max_tokens", args.maxTokens());
        cfg.put("phases", args.phases());
        if (policyShadowMode() != null) {
            cfg.put("policy_shadow", policyShadowMode());
        }
        result.put("config", cfg);
        result.put("phases", measured.stream().map(PhaseResult::toJson).toList());
        SideSummary side = SideSummary.of(Side.SLUICE, measured);
        result.put("sides", Map.of("sluice", side.toJson()));
        result.put("app", appSummary(measured));
        Map<String, Object> check = checkTasksEnd(target, sluice.lastAcceptedTaskIds());
        result.put("end_check", check);
        finish(result);
        System.out.printf("%nadmissions: %.1f/s   POST p50 %.2f ms  p90 %.2f ms  p99 %.2f ms   errors %s%n", side.tasksPerSecond(),
                side.submit().p50Ms(), side.submit().p90Ms(), side.submit().p99Ms(), side.errors());
        System.out.println("app: " + result.get("app"));
        System.out.println("tasks that end (last accepted, checked): " + check);
        return result;
    }

    /**
     * A light check that admitted tasks do run to their end: the last accepted ones are polled until a
     * terminal state, for at most 60 s. Admission that only fills a queue would look fast and be useless.
     */
    private Map<String, Object> checkTasksEnd(Target target, List<String> ids) throws Exception {
        List<String> sample = ids.subList(Math.max(0, ids.size() - 50), ids.size());
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        Map<String, Long> states = new TreeMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Pattern statePattern = Pattern.compile("\"state\"\\s*:\\s*\"(\\w+)\"");
        long ended = 0;
        for (String id : sample) {
            String state = "unknown";
            while (true) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(target.sluice().resolve("/v1/tasks/" + id))
                                .header("Authorization", "Bearer " + target.token()).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                Matcher m = statePattern.matcher(r.body());
                state = r.statusCode() == 200 && m.find() ? m.group(1) : "HTTP " + r.statusCode();
                boolean terminal = List.of("succeeded", "failed", "canceled").contains(state);
                if (terminal || System.nanoTime() > deadline) {
                    if (terminal) {
                        ended++;
                    }
                    break;
                }
                Thread.sleep(200);
            }
            states.merge(state, 1L, Long::sum);
        }
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("checked", sample.size());
        check.put("ended", ended);
        check.put("not_ended", sample.size() - ended);
        check.put("states", states);
        return check;
    }

    // ------------------------------------------------------------------------------------------- phases

    /**
     * Runs one phase; for a Sluice phase with a known app process, samples its CPU over exactly the measured
     * window, its threads and resident size during it, and its heap after a full GC once the phase drained.
     */
    private PhaseResult phase(Context context, TaskClient client, String name, long rampNanos, long windowNanos, long drainNanos,
            ProcessProbe probe) throws Exception {
        ClosedLoop.Plan plan = new ClosedLoop.Plan(name, args.clients(), rampNanos, windowNanos, args.maxTasksPerPhase(), drainNanos);
        LocalStack.log("phase %s: %d clients, ramp %.1f s, window %d s", name, args.clients(), rampNanos / 1e9, windowNanos / 1_000_000_000L);
        ClosedLoop.Running running = ClosedLoop.start(context, client, plan);
        AppSample sample = null;
        if (probe != null) {
            sleepUntil(running.windowStartNanos());
            double cpuBefore = probe.cpuSeconds();
            double jitBefore = probe.jitCompileSeconds();
            int threadsMax = 0;
            long rssMax = 0;
            while (System.nanoTime() < running.windowEndNanos()) {
                threadsMax = Math.max(threadsMax, probe.threads());
                rssMax = Math.max(rssMax, probe.rssMiB());
                sleepUntil(Math.min(running.windowEndNanos(), System.nanoTime() + TimeUnit.SECONDS.toNanos(1)));
            }
            double cpu = probe.cpuSeconds() - cpuBefore;
            double jitAfter = probe.jitCompileSeconds();
            double jit = jitBefore < 0 || jitAfter < 0 ? -1 : jitAfter - jitBefore;
            running.done().get(windowNanos + drainNanos + TimeUnit.MINUTES.toNanos(1), TimeUnit.NANOSECONDS);
            sample = new AppSample(cpu, threadsMax, rssMax, probe.heapAfterFullGcMiB(), jit);
        }
        PhaseResult r = running.done().get(rampNanos + windowNanos + drainNanos + TimeUnit.MINUTES.toNanos(1), TimeUnit.NANOSECONDS);
        if (sample != null) {
            r = r.withApp(sample);
        }
        print(r);
        return r;
    }

    private static void print(PhaseResult r) {
        LatencySummary ttft = LatencySummary.of(r.ttft());
        LatencySummary gap = LatencySummary.of(r.interToken());
        LatencySummary submit = LatencySummary.of(r.submit());
        StringBuilder line = new StringBuilder(String.format(java.util.Locale.ROOT,
                "%-20s %7.1f tasks/s  TTFT p50 %8.2f p90 %8.2f p99 %8.2f ms  gap p50 %7.2f p99 %7.2f ms", r.name(), r.tasksPerSecond(),
                ttft.p50Ms(), ttft.p90Ms(), ttft.p99Ms(), gap.p50Ms(), gap.p99Ms()));
        if (r.side() == Side.SLUICE || r.side() == Side.SESSIONS) {
            line.append(String.format(java.util.Locale.ROOT, "  submit p50 %7.2f p99 %7.2f ms", submit.p50Ms(), submit.p99Ms()));
        }
        line.append("  errors ").append(r.errors());
        if (r.app() != null) {
            line.append("  app ").append(r.app().toJson(r.endedInWindow(), r.tokensInWindow()));
        }
        System.out.println(line);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    private static long secondsToNanos(int seconds) {
        return TimeUnit.SECONDS.toNanos(seconds);
    }

    // ------------------------------------------------------------------------------------------ results

    private Map<String, Object> header(String scenario, Target target) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scenario", scenario);
        m.put("command", args.displayCommand());
        m.put("started_at", startedAt.toString());
        m.put("target", target.description());
        m.put("machine", machine);
        return m;
    }

    /** The load average at the end too: other work on a shared machine shows up in it, and in the spread. */
    private static void finish(Map<String, Object> result) {
        result.put("finished_at", Instant.now().toString());
        if (result.get("machine") instanceof Map<?, ?> machineFigures) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) machineFigures;
            m.put("load_average_at_end", MachineInfo.loadAverage());
        }
    }

    private Map<String, Object> config(Target target) {
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("clients", args.clients());
        cfg.put("duration_s", args.durationSeconds());
        cfg.put("warmup_s", args.warmupSeconds());
        cfg.put("max_tasks_per_phase", args.maxTasksPerPhase());
        if (target.simulatorSlots() > 0) {
            cfg.put("simulator_slots", target.simulatorSlots());
        }
        return cfg;
    }

    /** The app over all measured Sluice phases: CPU per task and per token over their windows taken together. */
    /** What a Sluice side adds to the direct side's latencies. */
    private static Map<String, Object> added(SideSummary direct, SideSummary through) {
        Map<String, Object> added = new LinkedHashMap<>();
        added.put("ttft_p50_ms", LatencySummary.round(through.ttft().p50Ms() - direct.ttft().p50Ms()));
        added.put("ttft_p99_ms", LatencySummary.round(through.ttft().p99Ms() - direct.ttft().p99Ms()));
        added.put("inter_token_p50_ms", LatencySummary.round(through.interToken().p50Ms() - direct.interToken().p50Ms()));
        added.put("inter_token_p99_ms", LatencySummary.round(through.interToken().p99Ms() - direct.interToken().p99Ms()));
        return added;
    }

    private static Map<String, Object> appSummary(List<PhaseResult> phases) {
        double cpu = 0;
        long tasks = 0;
        long tokens = 0;
        int threads = 0;
        long rss = 0;
        double heap = -1;
        double jit = 0;
        boolean any = false;
        for (PhaseResult p : phases) {
            if (p.app() == null) {
                continue;
            }
            any = true;
            cpu += p.app().cpuSeconds();
            tasks += p.endedInWindow();
            tokens += p.tokensInWindow();
            threads = Math.max(threads, p.app().threadsMax());
            rss = Math.max(rss, p.app().rssMaxMiB());
            heap = Math.max(heap, p.app().heapAfterGcMiB());
            jit = jit < 0 || p.app().jitCompileSeconds() < 0 ? -1 : jit + p.app().jitCompileSeconds();
        }
        if (!any) {
            return Map.of();
        }
        return new AppSample(cpu, threads, rss, heap, jit).toJson(tasks, tokens);
    }

    private void printStreamsSummary(List<SideSummary> sides, Map<String, Object> result) {
        System.out.println();
        System.out.println("side     tasks/s   TTFT p50    p90      p99 ms   gap p50   p99 ms   errors");
        for (SideSummary s : sides) {
            System.out.printf(java.util.Locale.ROOT, "%-7s %8.1f %9.2f %8.2f %8.2f %9.2f %8.2f   %s%n", s.side().wire(), s.tasksPerSecond(),
                    s.ttft().p50Ms(), s.ttft().p90Ms(), s.ttft().p99Ms(), s.interToken().p50Ms(), s.interToken().p99Ms(), s.errors());
            if (s.side() == Side.SLUICE || s.side() == Side.SESSIONS) {
                System.out.printf(java.util.Locale.ROOT, s.side().wire() + " submit p50 %.2f ms  p99 %.2f ms%n", s.submit().p50Ms(), s.submit().p99Ms());
            }
        }
        for (String key : List.of("added", "added_openai", "added_relay", "added_sessions", "app", "app_openai", "app_sessions", "relay_process")) {
            if (result.containsKey(key)) {
                System.out.println(key + ": " + result.get(key));
            }
        }
    }

    private Path write(Map<String, Object> result) throws Exception {
        Files.createDirectories(args.resultsDir());
        String label = switch (args.scenario()) {
            case STREAMS -> "streams-c" + args.clients() + "-t" + args.tokensPerSecond() + "-m" + args.maxTokens()
                    + (args.api() == BenchArgs.Api.TASKS ? "" : "-" + args.api().name().toLowerCase(java.util.Locale.ROOT))
                    + (args.relay() ? "-relay" : "")
                    + (args.sessionTurns() > 1 ? "-turns" + args.sessionTurns() : "");
            case ADMISSIONS -> "admissions-c" + args.clients();
            case REPORT -> throw new IllegalStateException("report writes no result");
        };
        String prefix = startedAt.atZone(ZoneOffset.UTC).toLocalDate() + "-" + label + "-";
        int n = 1;
        while (Files.exists(args.resultsDir().resolve(prefix + n + ".json"))) {
            n++;
        }
        Path file = args.resultsDir().resolve(prefix + n + ".json");
        JSON.writeValue(file.toFile(), result);
        return file;
    }

    private void report() throws Exception {
        List<ReportTable.Result> results = ReportTable.load(args.resultsDir());
        Path docDir = args.doc().toAbsolutePath().getParent();
        String linkPrefix = docDir.relativize(args.resultsDir().toAbsolutePath()).toString().replace('\\', '/') + "/";
        ReportTable.rewrite(args.doc(), results, linkPrefix);
        System.out.println("rewrote " + args.doc() + " from " + results.size() + " result files in " + args.resultsDir());
    }

    private String token() throws Exception {
        if (args.token() != null) {
            return args.token();
        }
        String tenant = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        URI uri = URI.create(args.tokenUrl() + (args.tokenUrl().getQuery() == null ? "?" : "&") + "tenant="
                + URLEncoder.encode(tenant, StandardCharsets.UTF_8));
        HttpResponse<String> r = java.net.http.HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("the token endpoint " + args.tokenUrl() + " answered " + r.statusCode());
        }
        return r.body().trim();
    }
}
