package io.sluice.app.policy.shadow;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.app.policy.shadow.ShadowDtos.Errors;
import io.sluice.app.policy.shadow.ShadowDtos.Latency;
import io.sluice.app.policy.shadow.ShadowDtos.Pair;
import io.sluice.app.policy.shadow.ShadowDtos.ReplayPost;
import io.sluice.app.policy.shadow.ShadowDtos.Report;
import io.sluice.app.policy.shadow.ShadowDtos.Sample;
import io.sluice.app.policy.shadow.ShadowDtos.SettingsView;
import io.sluice.app.policy.shadow.ShadowDtos.ShadowPut;
import io.sluice.app.policy.shadow.ShadowDtos.ShadowView;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.policy.host.Hook;
import io.sluice.policy.host.PolicyModule;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Shadow bindings, diff reports, replays and the pin rule (POL-8, ADR 0026). Reports and replays are per hook: the
 * {@code admit} and the {@code route} decisions of a policy bound to both are compared separately (ADR 0036). A
 * tenant only ever reaches its own policies (SEC-3): every query is keyed by the caller's tenant, so another tenant's
 * policy is simply not found.
 * The blocking methods run on worker threads, never on an event loop.
 */
@ApplicationScoped
public class ShadowService {
    private static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9-]{0,62}$");
    private static final Pattern VERSION = Pattern.compile("^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$");
    /** Disagreeing inputs shown per (active, shadow) pair. */
    static final int SAMPLES_PER_PAIR = 3;
    static final int MAX_SETTING_S = 2_592_000;

    @Inject
    ShadowRuntime runtime;

    @Inject
    SluiceAppConfig config;

    // ------------------------------------------------------------------------------------------ shadow binding

    public ShadowView shadow(String tenant, String name) {
        checkName(name);
        List<Object[]> rows = query("select s.name, s.version, v.digest, b.version, s.created_at, s.created_by, v.hooks_json, b.hooks_json"
                + " from policy_shadows s"
                + " join policy_versions v on v.tenant_id = s.tenant_id and v.name = s.name and v.version = s.version"
                + " left join policy_bindings b on b.tenant_id = s.tenant_id and b.name = s.name"
                + " where s.tenant_id = ?1 and s.name = ?2", tenant, name);
        if (rows.isEmpty()) {
            throw notFound("path.name", "policy " + name + " has no shadow candidate");
        }
        Object[] r = rows.get(0);
        return new ShadowView((String) r[0], (String) r[1], (String) r[2], (String) r[3], compared((String) r[6], (String) r[7]),
                time(r[4]), (String) r[5]);
    }

    /** The hooks a shadow compares: those both the candidate implements and the binding is bound to, admit first. */
    private static List<String> compared(String candidateHooksJson, String boundHooksJson) {
        List<String> hooks = new ArrayList<>();
        for (Hook h : Hook.values()) {
            if (hasHook(candidateHooksJson, h) && hasHook(boundHooksJson, h)) {
                hooks.add(h.wireName());
            }
        }
        return hooks;
    }

    /** Whether a stored hooks JSON array (as {@code policy_versions} and {@code policy_bindings} hold it) names the hook. */
    private static boolean hasHook(String hooksJson, Hook hook) {
        return hooksJson != null && hooksJson.contains("\"" + hook.wireName() + "\"");
    }

    /** The hook a report asks for; 400 with {@code field} when it names none. */
    private static Hook hookParam(String value, String field) {
        try {
            return Hook.fromWireName(value);
        } catch (IllegalArgumentException e) {
            throw SluiceException.invalid(field, "hook must be admit or route");
        }
    }

    public ShadowView putShadow(String tenant, String subject, String name, ShadowPut put) {
        checkName(name);
        if (put == null || put.version() == null || !VERSION.matcher(put.version()).matches()) {
            throw SluiceException.invalid("version", "version must match " + VERSION.pattern());
        }
        String[] candidate = version(tenant, name, put.version());
        List<Object[]> binding = query("select version, hooks_json from policy_bindings where tenant_id = ?1 and name = ?2", tenant, name);
        if (binding.isEmpty()) {
            throw new SluiceException(SluiceError.of(ErrorCode.CONFLICT,
                    "policy " + name + " is not bound: a shadow runs next to the bound version").withField("path.name"));
        }
        String boundHooks = (String) binding.get(0)[1];
        if (compared(candidate[1], boundHooks).isEmpty()) {
            throw SluiceException.invalid("version", "version " + put.version() + " implements none of the hooks policy " + name
                    + " is bound to (" + boundHooks + "), so there is nothing to compare");
        }
        if (put.version().equals(binding.get(0)[0])) {
            throw SluiceException.invalid("version", "version " + put.version() + " is the bound version; a shadow must be another version");
        }
        update("insert into policy_shadows (tenant_id, name, version, created_at, created_by) values (?1, ?2, ?3, now(), ?4)"
                + " on conflict (tenant_id, name) do update set version = excluded.version, created_at = excluded.created_at,"
                + " created_by = excluded.created_by where policy_shadows.version <> excluded.version",
                tenant, name, put.version(), subject == null ? "" : subject);
        reloadRuntime();
        return shadow(tenant, name);
    }

    public void deleteShadow(String tenant, String name) {
        checkName(name);
        if (update("delete from policy_shadows where tenant_id = ?1 and name = ?2", tenant, name) == 0) {
            throw notFound("path.name", "policy " + name + " has no shadow candidate");
        }
        reloadRuntime();
    }

    // ------------------------------------------------------------------------------------------ reports

    /**
     * Live pairs of one hook recorded since the shadow was bound, across every instance.
     *
     * @param hookName {@code admit} or {@code route}; null for the first hook the shadow compares (admit when it
     *     compares both, as before route decisions were shadowed)
     */
    public Report shadowReport(String tenant, String name, String hookName) {
        ShadowView shadow = shadow(tenant, name);
        Hook hook;
        if (hookName != null) {
            hook = hookParam(hookName, "hook");
        } else {
            hook = shadow.hooks().isEmpty() ? Hook.ADMIT : Hook.fromWireName(shadow.hooks().get(0));
        }
        if (hookName != null && !hasHook(version(tenant, name, shadow.version())[1], hook)) {
            throw SluiceException.invalid("hook", "shadow candidate " + shadow.version() + " does not implement hook " + hook.wireName());
        }
        Object[] where = {tenant, name, shadow.version(), shadow.createdAt(), hook.wireName()};
        String filter = " from policy_shadow_results where tenant_id = ?1 and name = ?2 and candidate_version = ?3 and recorded_at >= ?4"
                + " and hook = ?5";
        List<Pair> pairs = new ArrayList<>();
        long evaluated = 0;
        long disagreements = 0;
        for (Object[] r : query("select active_decision, shadow_decision, count(*)" + filter
                + " group by active_decision, shadow_decision order by active_decision, shadow_decision", where)) {
            long n = ((Number) r[2]).longValue();
            pairs.add(new Pair((String) r[0], (String) r[1], n));
            evaluated += n;
            disagreements += r[0].equals(r[1]) ? 0 : n;
        }
        List<Sample> samples = new ArrayList<>();
        for (Object[] r : query("select active_decision, shadow_decision, recorded_at, input_json from (select *, row_number() over"
                + " (partition by active_decision, shadow_decision order by id desc) as nth" + filter
                + " and active_decision <> shadow_decision) d where nth <= " + SAMPLES_PER_PAIR
                + " order by active_decision, shadow_decision, id desc", where)) {
            samples.add(new Sample((String) r[0], (String) r[1], time(r[2]), tree((String) r[3])));
        }
        Map<String, Long> byKind = new TreeMap<>();
        long errors = 0;
        for (Object[] r : query("select error_kind, count(*)" + filter + " and error_kind is not null group by error_kind", where)) {
            long n = ((Number) r[1]).longValue();
            byKind.put((String) r[0], n);
            errors += n;
        }
        Latency latency = null;
        if (evaluated > 0) {
            Object[] l = query("select percentile_disc(0.5) within group (order by latency_us),"
                    + " percentile_disc(0.99) within group (order by latency_us)" + filter, where).get(0);
            latency = new Latency(((Number) l[0]).longValue(), ((Number) l[1]).longValue());
        }
        OffsetDateTime now = noteReport(tenant, name, shadow.version(), "shadow", evaluated);
        return new Report(name, shadow.version(), "shadow", hook.wireName(), now, shadow.createdAt(), evaluated, disagreements, pairs,
                samples, new Errors(errors, byKind), latency);
    }

    /**
     * Runs {@code version} on the decisions of one hook recorded in the last {@code hours} hours, newest first. The hook
     * defaults to admit when the version implements it, else route. Blocks.
     */
    public Report replay(String tenant, String name, ReplayPost post) {
        checkName(name);
        int maxHours = config.policy().shadow().retentionHours();
        if (post == null || post.version() == null || !VERSION.matcher(post.version()).matches()) {
            throw SluiceException.invalid("version", "version must match " + VERSION.pattern());
        }
        if (post.hours() == null || post.hours() < 1 || post.hours() > maxHours) {
            throw SluiceException.invalid("hours", "hours must be between 1 and " + maxHours + " (the record retention)");
        }
        Hook requested = post.hook() == null ? null : hookParam(post.hook(), "hook");
        String[] candidate = version(tenant, name, post.version());
        Hook hook = requested != null ? requested : hasHook(candidate[1], Hook.ADMIT) ? Hook.ADMIT : Hook.ROUTE;
        if (!hasHook(candidate[1], hook)) {
            throw SluiceException.invalid("version", "version " + post.version() + " does not implement hook " + hook.wireName()
                    + ", the hook this replay compares");
        }
        PolicyModule module;
        try {
            module = runtime.replayModule(candidate[0]);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("could not load policy version " + post.version(), t);
        }
        OffsetDateTime windowStart = OffsetDateTime.now(ZoneOffset.UTC).minusHours(post.hours());
        List<Object[]> records = query("select decision, input_json, recorded_at from policy_decisions"
                + " where tenant_id = ?1 and name = ?2 and hook = ?4 and recorded_at >= ?3 order by recorded_at desc, id desc limit "
                + Math.max(1, config.policy().shadow().replayMaxRecords()), tenant, name, windowStart, hook.wireName());
        Map<String, Long> pairCounts = new TreeMap<>();
        Map<String, List<Sample>> samplesByPair = new TreeMap<>();
        Map<String, Long> byKind = new TreeMap<>();
        long[] latencies = new long[records.size()];
        long disagreements = 0;
        long errors = 0;
        int i = 0;
        for (Object[] r : records) {
            String active = (String) r[0];
            ShadowRuntime.Evaluation e = hook == Hook.ROUTE
                    ? runtime.replayRoute(module, tenant, DecisionLog.parseRoute((String) r[1]))
                    : runtime.replay(module, tenant, DecisionLog.parse((String) r[1]));
            latencies[i++] = e.latencyMicros();
            String key = active + "\u0000" + e.decision();
            pairCounts.merge(key, 1L, Long::sum);
            if (e.errorKind() != null) {
                byKind.merge(e.errorKind(), 1L, Long::sum);
                errors++;
            }
            if (!active.equals(e.decision())) {
                disagreements++;
                List<Sample> s = samplesByPair.computeIfAbsent(key, k -> new ArrayList<>());
                if (s.size() < SAMPLES_PER_PAIR) {
                    s.add(new Sample(active, e.decision(), time(r[2]), tree((String) r[1])));
                }
            }
        }
        List<Pair> pairs = new ArrayList<>();
        pairCounts.forEach((k, n) -> pairs.add(new Pair(k.substring(0, k.indexOf('\u0000')), k.substring(k.indexOf('\u0000') + 1), n)));
        List<Sample> samples = new ArrayList<>();
        samplesByPair.values().forEach(samples::addAll);
        Latency latency = null;
        if (latencies.length > 0) {
            Arrays.sort(latencies);
            latency = new Latency(percentile(latencies, 0.5), percentile(latencies, 0.99));
        }
        OffsetDateTime now = noteReport(tenant, name, post.version(), "replay", records.size());
        return new Report(name, post.version(), "replay", hook.wireName(), now, windowStart, records.size(), disagreements, pairs, samples,
                new Errors(errors, byKind), latency);
    }

    private static long percentile(long[] sorted, double q) {
        return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
    }

    /** Remembers when a report covering at least one decision was produced, for the pin rule. */
    private OffsetDateTime noteReport(String tenant, String name, String version, String kind, long evaluated) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        if (evaluated > 0) {
            update("insert into policy_reports (tenant_id, name, version, kind, generated_at) values (?1, ?2, ?3, ?4, now())"
                    + " on conflict (tenant_id, name, version, kind) do update set generated_at = excluded.generated_at",
                    tenant, name, version, kind);
        }
        return now;
    }

    // ------------------------------------------------------------------------------------------ settings and the pin rule

    public SettingsView settings(String tenant) {
        List<Object[]> rows = query("select pin_requires_report_within_s, 1 from policy_settings where tenant_id = ?1", tenant);
        return new SettingsView(rows.isEmpty() || rows.get(0)[0] == null ? null : ((Number) rows.get(0)[0]).intValue());
    }

    public SettingsView putSettings(String tenant, SettingsView put) {
        Integer within = put == null ? null : put.pinRequiresReportWithinS();
        if (within != null && (within < 1 || within > MAX_SETTING_S)) {
            throw SluiceException.invalid("pin_requires_report_within_s", "pin_requires_report_within_s must be between 1 and " + MAX_SETTING_S);
        }
        update("insert into tenants (id) values (?1) on conflict do nothing", tenant);
        if (within == null) {
            update("insert into policy_settings (tenant_id, pin_requires_report_within_s, updated_at) values (?1, null, now())"
                    + " on conflict (tenant_id) do update set pin_requires_report_within_s = null, updated_at = now()", tenant);
        } else {
            update("insert into policy_settings (tenant_id, pin_requires_report_within_s, updated_at) values (?1, ?2, now())"
                    + " on conflict (tenant_id) do update set pin_requires_report_within_s = excluded.pin_requires_report_within_s,"
                    + " updated_at = excluded.updated_at", tenant, within);
        }
        return settings(tenant);
    }

    /**
     * The pin rule: when the tenant requires it, pinning a version other than the one in force needs a shadow or
     * replay report on that version newer than the set age; else {@code 409 CONFLICT} with {@code field: report}.
     */
    public Uni<Void> checkPin(String tenant, String name, String version) {
        if (version == null) {
            return Uni.createFrom().voidItem();
        }
        return Panache.withSession(() -> Panache.getSession().flatMap(s -> s.createNativeQuery(
                                "select st.pin_requires_report_within_s, b.version, (select extract(epoch from now() - max(r.generated_at))"
                                        + " from policy_reports r where r.tenant_id = ?1 and r.name = ?2 and r.version = ?3)"
                                        + " from (select 1) as one left join policy_settings st on st.tenant_id = ?1"
                                        + " left join policy_bindings b on b.tenant_id = ?1 and b.name = ?2", Object[].class)
                        .setParameter(1, tenant).setParameter(2, name).setParameter(3, version)
                        .getSingleResult()))
                .map(r -> {
                    if (r[0] == null || version.equals(r[1])) {
                        return null;
                    }
                    int within = ((Number) r[0]).intValue();
                    if (r[2] == null || ((Number) r[2]).doubleValue() > within) {
                        throw new SluiceException(SluiceError.of(ErrorCode.CONFLICT, "report required: pinning version " + version
                                + " of policy " + name + " needs a shadow or replay report on it from the last " + within + " s"
                                + (r[2] == null ? " (there is none)" : " (the newest is " + Math.round(((Number) r[2]).doubleValue()) + " s old)")
                                + "; run POST /v1/policies/" + name + "/replays or read the shadow report first").withField("report"));
                    }
                    return null;
                })
                .replaceWithVoid();
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** Digest and hooks JSON of a stored version; 404 with {@code field: version} when unknown. */
    private static String[] version(String tenant, String name, String version) {
        List<Object[]> rows = query("select digest, hooks_json from policy_versions where tenant_id = ?1 and name = ?2 and version = ?3",
                tenant, name, version);
        if (rows.isEmpty()) {
            throw notFound("version", "policy " + name + " has no version " + version);
        }
        return new String[] {(String) rows.get(0)[0], (String) rows.get(0)[1]};
    }

    private void reloadRuntime() {
        try {
            runtime.reload();
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("could not reload shadow bindings", t);
        }
    }

    private static List<Object[]> query(String sql, Object... params) {
        try {
            return VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() -> Panache.getSession().flatMap(s -> {
                var q = s.createNativeQuery(sql, Object[].class);
                for (int i = 0; i < params.length; i++) {
                    q.setParameter(i + 1, params[i]);
                }
                return q.getResultList();
            })));
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static int update(String sql, Object... params) {
        try {
            return VertxContextSupport.subscribeAndAwait(() -> Panache.withTransaction(() -> Panache.getSession().flatMap(s -> {
                var q = s.createNativeQuery(sql);
                for (int i = 0; i < params.length; i++) {
                    q.setParameter(i + 1, params[i]);
                }
                return q.executeUpdate();
            })));
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static OffsetDateTime time(Object o) {
        if (o instanceof OffsetDateTime t) {
            return t;
        }
        if (o instanceof Instant i) {
            return i.atOffset(ZoneOffset.UTC);
        }
        if (o instanceof java.sql.Timestamp ts) {
            return ts.toInstant().atOffset(ZoneOffset.UTC);
        }
        if (o instanceof java.time.LocalDateTime l) {
            return l.atOffset(ZoneOffset.UTC);
        }
        throw new IllegalStateException("unexpected time value " + o);
    }

    private static JsonNode tree(String json) {
        try {
            return DecisionLog.JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException("corrupt recorded policy input", e);
        }
    }

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw SluiceException.invalid("path.name", "policy name must match " + NAME.pattern());
        }
    }

    private static SluiceException notFound(String field, String message) {
        return new SluiceException(SluiceError.of(ErrorCode.NOT_FOUND, message).withField(field));
    }
}
