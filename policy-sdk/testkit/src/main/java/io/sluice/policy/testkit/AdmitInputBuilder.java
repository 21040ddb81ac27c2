package io.sluice.policy.testkit;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.Priority;
import io.sluice.policy.host.RouteInput;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Builds ABI inputs for tests with plausible defaults: an interactive completion on {@code dev-tiny},
 * 256 max tokens, 60 s deadline, an Active model, an empty quota, at 2025-11-24T16:00:00Z. Mutable, not
 * thread-safe; {@link #build()} may be called repeatedly.
 */
public final class AdmitInputBuilder {
    private String tenant;
    private String tier = "gold";
    private final Map<String, String> tenantLabels = new LinkedHashMap<>();
    private UUID taskId = UUID.fromString("6f1c1d0e-4f7e-4c59-9a59-6c1c2f5b8a10");
    private UUID sessionId = UUID.fromString("0b7e2f8a-1f33-4f0e-8d7c-2d3f1b9c4e21");
    private String workload = "completion";
    private String model = "dev-tiny";
    private String engine;
    private Priority priority = Priority.INTERACTIVE;
    private int maxTokens = 256;
    private long deadlineMs = 60_000;
    private int ctx = 2048;
    private final Map<String, String> labels = new LinkedHashMap<>();
    private String prompt = "Hello!";
    private long timeMs = 1_764_000_000_000L;
    private AdmitInput.Quota quota = new AdmitInput.Quota(0, 0, null, null, 0, null);
    private final Map<String, Integer> queues = new LinkedHashMap<>();
    private String modelState = "Active";
    private final List<RouteInput.Candidate> candidates = new ArrayList<>();

    private AdmitInputBuilder(String tenant) {
        this.tenant = tenant;
    }

    public static AdmitInputBuilder forTenant(String tenantId) {
        return new AdmitInputBuilder(tenantId);
    }

    public AdmitInputBuilder tier(String v) {
        this.tier = v;
        return this;
    }

    public AdmitInputBuilder tenantLabel(String key, String value) {
        tenantLabels.put(key, value);
        return this;
    }

    public AdmitInputBuilder taskId(UUID v) {
        this.taskId = v;
        return this;
    }

    public AdmitInputBuilder workload(String v) {
        this.workload = v;
        return this;
    }

    public AdmitInputBuilder model(String v) {
        this.model = v;
        return this;
    }

    public AdmitInputBuilder modelState(String v) {
        this.modelState = v;
        return this;
    }

    public AdmitInputBuilder engine(String v) {
        this.engine = v;
        return this;
    }

    public AdmitInputBuilder priority(Priority v) {
        this.priority = v;
        return this;
    }

    public AdmitInputBuilder maxTokens(int v) {
        this.maxTokens = v;
        return this;
    }

    public AdmitInputBuilder deadlineMs(long v) {
        this.deadlineMs = v;
        return this;
    }

    public AdmitInputBuilder ctx(int v) {
        this.ctx = v;
        return this;
    }

    public AdmitInputBuilder label(String key, String value) {
        labels.put(key, value);
        return this;
    }

    /** The prompt; the host passes it only to modules that declare {@code needs: ["prompt"]}. */
    public AdmitInputBuilder prompt(String v) {
        this.prompt = v;
        return this;
    }

    public AdmitInputBuilder timeMs(long v) {
        this.timeMs = v;
        return this;
    }

    public AdmitInputBuilder quota(AdmitInput.Quota v) {
        this.quota = v;
        return this;
    }

    public AdmitInputBuilder queue(String poolId, int depth) {
        queues.put(poolId, depth);
        return this;
    }

    /** Adds a route candidate. */
    public AdmitInputBuilder candidate(String replicaId, String poolId, String engine, int freeSlots, Map<String, String> labels) {
        candidates.add(new RouteInput.Candidate(replicaId, poolId, engine, freeSlots, labels));
        return this;
    }

    public AdmitInput build() {
        return new AdmitInput(
                new AdmitInput.Tenant(tenant, tier, tenantLabels),
                new AdmitInput.Request(taskId, sessionId, workload, model, engine, priority, maxTokens, deadlineMs, ctx,
                        labels, prompt.codePointCount(0, prompt.length()), prompt),
                new AdmitInput.Snapshot(timeMs, quota, queues, new AdmitInput.Model(model, modelState)));
    }

    /** A route input: {@link #build()} plus the candidates added so far. */
    public RouteInput buildRoute() {
        return new RouteInput(build(), candidates);
    }
}
