package io.sluice.app.policy.shadow;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.Hook;
import io.sluice.policy.host.RouteInput;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Writes live admit and route decisions (with their input, for replay) and shadow results to PostgreSQL in batches,
 * off the task path (POL-8, ADR 0026, ADR 0036). Producers only offer to a bounded in-memory queue; a full queue drops the row and
 * counts it. One flusher thread per instance drains the queue into multi-row inserts and deletes rows past the
 * retention; several instances write side by side and each deletes the same expired rows, which is harmless.
 *
 * <p>Inputs are stored without the prompt text (SEC-4): only its length in characters is kept.
 */
@ApplicationScoped
public class DecisionLog {
    private static final Logger LOG = Logger.getLogger(DecisionLog.class);
    static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);
    private static final long PURGE_EVERY_MS = 60_000;

    @Inject
    SluiceAppConfig config;

    @Inject
    MeterRegistry registry;

    /**
     * A live decision. A route decision's name is derived from its order by the flusher, not by placement.
     *
     * @param decision the decision's name, or for a route decision its failure ({@code error}, {@code fail_open}) or null
     * @param routeOrder the replica ids a route decision chose, null otherwise
     * @param input {@link AdmitInput} or {@link RouteInput}, as the hook was called
     */
    private record DecisionRow(
            String tenant, String name, Hook hook, String version, String decision, List<String> routeOrder, Object input, long atMs) {
        String decisionName() {
            return routeOrder == null ? decision : RouteDecisions.label(routeOrder, ((RouteInput) input).candidates());
        }
    }

    private record ShadowRow(
            String tenant, String name, Hook hook, String candidateVersion, String activeVersion, String activeDecision,
            ShadowRuntime.Evaluation shadow, Object input, long atMs) {}

    private ArrayBlockingQueue<Object> queue;
    private ScheduledExecutorService flusher;
    private Counter dropped;
    private long lastPurgeMs;

    void start(@Observes StartupEvent ev) {
        var c = config.policy().shadow();
        queue = new ArrayBlockingQueue<>(Math.max(1, c.recordQueueCapacity()));
        dropped = Counter.builder("policy.records.dropped")
                .description("Policy decision records and shadow results dropped because the record queue was full")
                .register(registry);
        flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-policy-records");
            t.setDaemon(true);
            return t;
        });
        flusher.scheduleWithFixedDelay(this::flushQuietly, c.recordFlushMs(), c.recordFlushMs(), TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent ev) {
        if (flusher != null) {
            flusher.shutdownNow();
        }
    }

    void recordDecision(
            String tenant, String name, Hook hook, String version, String decision, List<String> routeOrder, Object input, long atMs) {
        offer(new DecisionRow(tenant, name, hook, version, decision, routeOrder, input, atMs));
    }

    void recordShadow(
            String tenant, String name, Hook hook, String candidateVersion, String activeVersion, String activeDecision,
            ShadowRuntime.Evaluation shadow, Object input, long atMs) {
        offer(new ShadowRow(tenant, name, hook, candidateVersion, activeVersion, activeDecision, shadow, input, atMs));
    }

    private void offer(Object row) {
        if (queue == null || !queue.offer(row)) {
            dropped.increment();
        }
    }

    /** The recorded form of an admit or route input: the ABI input without the prompt text. */
    static String redacted(Object in) {
        try {
            if (in instanceof RouteInput route) {
                return JSON.writeValueAsString(new RouteInput(withoutPrompt(route.admit()), route.candidates()));
            }
            return JSON.writeValueAsString(withoutPrompt((AdmitInput) in));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static AdmitInput withoutPrompt(AdmitInput in) {
        AdmitInput.Request r = in.request();
        AdmitInput.Request withoutPrompt = new AdmitInput.Request(r.taskId(), r.sessionId(), r.workload(), r.modelRef(), r.engine(),
                r.priority(), r.maxTokens(), r.deadlineMs(), r.ctx(), r.labels(), r.promptChars(), null);
        return new AdmitInput(in.tenant(), withoutPrompt, in.snapshot());
    }

    static AdmitInput parse(String json) {
        return parse(json, AdmitInput.class);
    }

    static RouteInput parseRoute(String json) {
        return parse(json, RouteInput.class);
    }

    private static <T> T parse(String json, Class<T> type) {
        try {
            return JSON.readValue(json, type);
        } catch (Exception e) {
            throw new IllegalStateException("corrupt recorded policy input", e);
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (Throwable t) {
            LOG.warnf("could not write policy decision records: %s", t.toString());
        }
    }

    private void flush() throws Throwable {
        int batch = Math.max(1, config.policy().shadow().recordBatch());
        List<Object> rows = new ArrayList<>(batch);
        while (queue.drainTo(rows, batch) > 0) {
            List<DecisionRow> decisions = new ArrayList<>();
            List<ShadowRow> shadows = new ArrayList<>();
            for (Object o : rows) {
                if (o instanceof DecisionRow d) {
                    decisions.add(d);
                } else if (o instanceof ShadowRow s) {
                    shadows.add(s);
                }
            }
            insertDecisions(decisions);
            insertShadows(shadows);
            rows.clear();
        }
        long now = System.currentTimeMillis();
        if (now - lastPurgeMs >= PURGE_EVERY_MS) {
            lastPurgeMs = now;
            purge(config.policy().shadow().retentionHours());
        }
    }

    private void insertDecisions(List<DecisionRow> rows) throws Throwable {
        if (rows.isEmpty()) {
            return;
        }
        StringBuilder sql = new StringBuilder(
                "insert into policy_decisions (tenant_id, name, hook, version, decision, input_json, recorded_at) values ");
        List<Object> params = new ArrayList<>();
        for (DecisionRow r : rows) {
            int p = params.size();
            sql.append(p == 0 ? "" : ", ").append("(?").append(p + 1).append(", ?").append(p + 2).append(", ?").append(p + 3)
                    .append(", ?").append(p + 4).append(", ?").append(p + 5).append(", ?").append(p + 6)
                    .append(", to_timestamp(?").append(p + 7).append(" / 1000.0))");
            params.addAll(List.of(r.tenant(), r.name(), r.hook().wireName(), r.version(), r.decisionName(), redacted(r.input()), r.atMs()));
        }
        execute(sql.toString(), params);
    }

    private void insertShadows(List<ShadowRow> rows) throws Throwable {
        if (rows.isEmpty()) {
            return;
        }
        StringBuilder sql = new StringBuilder("insert into policy_shadow_results (tenant_id, name, hook, candidate_version, active_version,"
                + " active_decision, shadow_decision, error_kind, latency_us, input_json, recorded_at) values ");
        List<Object> params = new ArrayList<>();
        for (ShadowRow r : rows) {
            int p = params.size();
            sql.append(p == 0 ? "" : ", ").append('(');
            for (int i = 1; i <= 10; i++) {
                String param = "?" + (p + i);
                // Null parameters lose their type on the wire: an empty string stands for "none" (error kind, input).
                sql.append(switch (i) {
                    case 8, 10 -> "nullif(cast(" + param + " as text), ''), ";
                    case 9 -> "cast(" + param + " as bigint), ";
                    default -> "cast(" + param + " as text), ";
                });
            }
            sql.append("to_timestamp(?").append(p + 11).append(" / 1000.0))");
            boolean disagrees = !r.activeDecision().equals(r.shadow().decision());
            params.addAll(List.of(r.tenant(), r.name(), r.hook().wireName(), r.candidateVersion(), r.activeVersion(), r.activeDecision(),
                    r.shadow().decision(), r.shadow().errorKind() == null ? "" : r.shadow().errorKind(), r.shadow().latencyMicros(),
                    disagrees ? redacted(r.input()) : "", r.atMs()));
        }
        execute(sql.toString(), params);
    }

    private static void purge(int retentionHours) throws Throwable {
        execute("delete from policy_decisions where recorded_at < now() - make_interval(hours => ?1)", List.of(retentionHours));
        execute("delete from policy_shadow_results where recorded_at < now() - make_interval(hours => ?1)", List.of(retentionHours));
    }

    private static void execute(String sql, List<Object> params) throws Throwable {
        VertxContextSupport.subscribeAndAwait(() -> Panache.withTransaction(() -> Panache.getSession().flatMap(s -> {
            var q = s.createNativeQuery(sql);
            for (int i = 0; i < params.size(); i++) {
                q.setParameter(i + 1, params.get(i));
            }
            return q.executeUpdate();
        })));
    }
}
