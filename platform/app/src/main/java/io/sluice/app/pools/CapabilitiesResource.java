package io.sluice.app.pools;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.quarkus.security.identity.SecurityIdentity;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.app.pools.PoolDtos.Capabilities;
import io.sluice.app.pools.PoolDtos.EngineCapabilities;
import io.sluice.app.security.Caller;
import io.sluice.core.config.SluiceConfig;
import io.sluice.core.scheduling.Pool;
import io.sluice.core.scheduling.Replica;
import io.sluice.core.scheduling.ReplicaState;
import io.sluice.core.scheduling.TaskScheduler;
import io.sluice.core.task.EngineKind;
import io.sluice.core.task.Priority;
import io.sluice.core.task.TaskValidator;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What this deployment serves (POOL-3): the API version (read from the served contract, so the two cannot drift),
 * one entry per engine family with a configured pool, and the limits and defaults in force. Either role.
 */
@Path("/v1/capabilities")
@RolesAllowed({Caller.TENANT, Caller.ADMIN})
public class CapabilitiesResource {
    private static final String CONTRACT = "META-INF/contract/sluice-v1.yaml";
    private static volatile String apiVersion;

    @Inject
    TaskScheduler scheduler;

    @Inject
    SluiceConfig sluiceConfig;

    @Inject
    SluiceAppConfig config;

    @Inject
    SecurityIdentity identity;

    @Inject
    Caller caller;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Capabilities get() {
        List<String> roles = new ArrayList<>();
        if (identity.hasRole(Caller.TENANT)) {
            roles.add(Caller.TENANT);
        }
        if (identity.hasRole(Caller.ADMIN)) {
            roles.add(Caller.ADMIN);
        }
        String tenant = identity.hasRole(Caller.TENANT) ? caller.tenantId() : null;
        return new Capabilities(apiVersion(), roles, tenant, engines(), limits(), defaults(), "strict");
    }

    private List<EngineCapabilities> engines() {
        Map<EngineKind, List<Pool>> byEngine = new LinkedHashMap<>();
        for (Pool p : scheduler.pools().pools()) {
            byEngine.computeIfAbsent(p.engine(), k -> new ArrayList<>()).add(p);
        }
        List<EngineCapabilities> out = new ArrayList<>();
        for (Map.Entry<EngineKind, List<Pool>> e : byEngine.entrySet()) {
            int ctxMax = 0;
            int slots = 0;
            TreeSet<String> versions = new TreeSet<>();
            for (Pool p : e.getValue()) {
                Integer c = p.ctxMax();
                ctxMax = Math.max(ctxMax, c == null ? 0 : c);
                slots += p.readySlots();
                for (Replica r : p.replicas()) {
                    if (r.state() == ReplicaState.READY && r.probe() != null && r.probe().engineVersion() != null) {
                        versions.add(r.probe().engineVersion());
                    }
                }
            }
            Map<String, Object> rate = new LinkedHashMap<>();
            rate.put("max_concurrent", slots);
            Map<String, Boolean> features = new LinkedHashMap<>();
            // Every adapter aborts its engine request on cancel; none can pause and resume a decode, and none unloads.
            features.put("interruptible_decode", false);
            features.put("cancel", true);
            features.put("unload", false);
            // The engine adapters send completion requests only; embedding and rerank are not wired to engines yet.
            out.add(new EngineCapabilities(e.getKey().wire(), Math.max(1, ctxMax), List.of("completion"), rate, features,
                    List.copyOf(versions)));
        }
        return out;
    }

    private Map<String, Object> limits() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("max_body_bytes", config.http().maxBodyBytes());
        m.put("max_tokens_max", TaskValidator.MAX_TOKENS_LIMIT);
        m.put("max_deadline_ms", TaskValidator.MAX_DEADLINE_MS);
        m.put("max_labels", TaskValidator.MAX_LABELS);
        m.put("policy_module_max_bytes", config.policy().moduleBytes());
        m.put("policy_call_timeout_ms", config.policy().callTimeoutMs());
        m.put("policy_memory_max_bytes", config.policy().memoryBytes());
        m.put("policy_output_max_bytes", config.policy().outputBytes());
        m.put("session_tokens_budget_max", TaskValidator.MAX_SESSION_TOKENS);
        m.put("session_time_budget_ms_max", TaskValidator.MAX_SESSION_TIME_MS);
        return m;
    }

    private Map<String, Object> defaults() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("priority", "interactive");
        m.put("determinism", "best_effort");
        m.put("max_tokens", TaskValidator.DEFAULT_MAX_TOKENS);
        m.put("deadline_ms", TaskValidator.DEFAULT_DEADLINE_MS);
        m.put("kv_hint", "reuse");
        m.put("session_ttl_ms", config.sessions().ttlMs());
        m.put("session_max_turns", config.sessions().maxTurns());
        m.put("event_retention_ms", config.tasks().retentionMs());
        SluiceConfig.SchedulingConfig s = sluiceConfig.scheduling();
        m.put("priority_weights", Map.of("interactive", s.weightOf(Priority.INTERACTIVE), "batch", s.weightOf(Priority.BATCH)));
        m.put("tenant_weight", s.defaultTenantWeight());
        config.sessions().tokensBudget().ifPresent(v -> m.put("session_tokens_budget", v));
        config.sessions().timeBudgetMs().ifPresent(v -> m.put("session_time_budget_ms", v));
        config.sessions().costBudget().ifPresent(v -> m.put("session_cost_budget", v));
        return m;
    }

    private static String apiVersion() {
        String v = apiVersion;
        if (v == null) {
            try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(CONTRACT)) {
                if (in == null) {
                    throw new IllegalStateException("the contract " + CONTRACT + " is not on the classpath");
                }
                v = new YAMLMapper().readTree(in).path("info").path("version").asText();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            apiVersion = v;
        }
        return v;
    }
}
