package io.sluice.core.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.sluice.core.task.EngineKind;
import io.sluice.core.task.Priority;
import java.util.List;
import java.util.Map;

/**
 * The operator's configuration of pools, engines, scheduling, admission, trust and defaults (SPEC CFG-1), read from
 * one YAML file by {@link ConfigLoader}. Property names are snake_case in YAML. Its JSON Schema is generated from
 * these records by {@link ConfigSchema}.
 *
 * @param pools the pools this instance schedules onto
 * @param scheduling fair-queuing weights
 * @param admission admission limits; unset members keep the platform's settings
 * @param trust model catalog trust; unset members keep the platform's settings
 * @param defaults defaults of what tenants do not set themselves; unset members keep the platform's settings
 */
public record SluiceConfig(
        List<PoolConfig> pools,
        SchedulingConfig scheduling,
        AdmissionConfig admission,
        TrustConfig trust,
        DefaultsConfig defaults) {
    public SluiceConfig {
        pools = pools == null ? List.of() : List.copyOf(pools);
        scheduling = scheduling == null ? SchedulingConfig.DEFAULTS : scheduling;
        admission = admission == null ? AdmissionConfig.UNSET : admission;
        trust = trust == null ? TrustConfig.UNSET : trust;
        defaults = defaults == null ? DefaultsConfig.UNSET : defaults;
    }

    public SluiceConfig(List<PoolConfig> pools, SchedulingConfig scheduling) {
        this(pools, scheduling, null, null, null);
    }

    /**
     * Admission limits. Every member is optional: {@code null} keeps what the platform's own setting says (the
     * {@code sluice.*} property it overrides is named in docs/configuration.md).
     *
     * @param maxBodyBytes largest accepted request body (ADM-3)
     * @param policy limits of tenant policy calls made at admission (POL-2)
     */
    public record AdmissionConfig(Long maxBodyBytes, PolicyLimits policy) {
        public static final AdmissionConfig UNSET = new AdmissionConfig(null, null);

        public AdmissionConfig {
            policy = policy == null ? PolicyLimits.UNSET : policy;
        }
    }

    /**
     * @param callTimeoutMs CPU-time limit of one policy call
     * @param callWallTimeoutMs wall-clock stop of one policy call
     * @param memoryBytes guest memory per policy instance
     * @param outputBytes largest output of one call
     * @param moduleBytes largest module accepted at upload
     * @param uploadsPerMinute policy uploads per tenant and minute, all instances together, once the burst is spent (POL-9)
     * @param uploadBurst policy uploads per tenant in a row before the per-minute rate applies (POL-9)
     * @param shadow shadow evaluation, decision records and replay (POL-8)
     */
    public record PolicyLimits(Long callTimeoutMs, Long callWallTimeoutMs, Long memoryBytes, Integer outputBytes,
            Integer moduleBytes, Integer uploadsPerMinute, Integer uploadBurst, PolicyShadow shadow) {
        public static final PolicyLimits UNSET = new PolicyLimits(null, null, null, null, null, null, null, null);

        public PolicyLimits {
            shadow = shadow == null ? PolicyShadow.UNSET : shadow;
        }
    }

    /**
     * @param queueCapacity shadow evaluations waiting for the shadow threads; more are dropped and counted
     * @param threads threads running shadow candidates
     * @param recordQueueCapacity decision records and shadow results waiting to be written; more are dropped and counted
     * @param recordBatch rows per insert at most
     * @param recordFlushMs pause between two flushes of the record queue
     * @param retentionHours how long records are kept; also the longest replay window
     * @param replayMaxRecords most recorded decisions one replay evaluates
     */
    public record PolicyShadow(Integer queueCapacity, Integer threads, Integer recordQueueCapacity, Integer recordBatch,
            Long recordFlushMs, Integer retentionHours, Integer replayMaxRecords) {
        public static final PolicyShadow UNSET = new PolicyShadow(null, null, null, null, null, null, null);
    }

    /**
     * Model catalog trust (CAT-2).
     *
     * @param policy strict refuses untrusted entries, permissive stores them as unverified
     * @param roots trust roots, each {@code registry keyid base64-SPKI}
     */
    public record TrustConfig(TrustPolicy policy, List<String> roots) {
        public static final TrustConfig UNSET = new TrustConfig(null, null);

        public TrustConfig {
            roots = roots == null ? null : List.copyOf(roots);
        }
    }

    /** @param sessions defaults of sessions whose first task sets none (SES-2, SES-4) */
    public record DefaultsConfig(SessionDefaults sessions) {
        public static final DefaultsConfig UNSET = new DefaultsConfig(null);

        public DefaultsConfig {
            sessions = sessions == null ? SessionDefaults.UNSET : sessions;
        }
    }

    /**
     * @param ttlMs session time to live
     * @param maxTurns tasks a session may admit
     * @param tokensBudget generated tokens a session may use
     * @param timeBudgetMs decode milliseconds a session may use
     * @param costBudget cost units a session may use
     * @param costPer1kPromptTokens cost units of 1,000 prompt tokens
     * @param costPer1kOutputTokens cost units of 1,000 generated tokens
     */
    public record SessionDefaults(Long ttlMs, Integer maxTurns, Long tokensBudget, Long timeBudgetMs, Double costBudget,
            // snake_case alone would spell these cost_per1k_...; the platform properties say per-1k.
            @JsonProperty("cost_per_1k_prompt_tokens") Double costPer1kPromptTokens,
            @JsonProperty("cost_per_1k_output_tokens") Double costPer1kOutputTokens) {
        public static final SessionDefaults UNSET = new SessionDefaults(null, null, null, null, null, null, null);
    }

    /**
     * One pool: a model on a device mask served by replicas of one engine (POOL-1).
     *
     * @param id stable pool id, {@code ^[a-z0-9][a-z0-9-]{0,62}$}
     * @param model model name tasks name in {@code model_ref}
     * @param engine engine all replicas run
     * @param deviceMask GPU device mask of the pool's replicas (placement never crosses masks)
     * @param ctxMax context limit enforced at admission; {@code null} = what the engine reports
     * @param quant quantisation of the weights the replicas load (for example {@code q4_k_m}, {@code fp16}); part of
     *     the replica-set identity (POOL-1); {@code null} = not declared
     * @param samplerProfileVersion version of the sampler profile the replicas serve (their sampler settings and
     *     order); part of the replica-set identity (POOL-1, DET-1). A task naming {@code sampler_profile_version} is
     *     placed only on pools declaring it; {@code null} = none declared, such a pool serves only tasks naming none
     * @param queue bounded queue settings (ADM-4)
     * @param watchdog decode watchdog (SCH-7)
     * @param replicas engine endpoints
     * @param kvBytesPerToken bytes of KV cache one token of context takes on the pool's engines, for the model and cache
     *     type they serve: {@code 2 × layers × KV heads × head dimension × bytes per element} (SES-1 {@code kv_bytes}).
     *     No engine reports it, so the operator declares it; {@code null} = not declared, sessions report 0
     */
    public record PoolConfig(
            String id,
            String model,
            EngineKind engine,
            String deviceMask,
            Integer ctxMax,
            String quant,
            String samplerProfileVersion,
            QueueConfig queue,
            WatchdogConfig watchdog,
            List<ReplicaConfig> replicas,
            Long kvBytesPerToken) {
        public PoolConfig {
            queue = queue == null ? QueueConfig.DEFAULTS : queue;
            watchdog = watchdog == null ? WatchdogConfig.DEFAULTS : watchdog;
            replicas = replicas == null ? List.of() : List.copyOf(replicas);
            deviceMask = deviceMask == null ? "0" : deviceMask;
        }

        /** This pool serving another model on the same engines (a reload to another model, POOL-3). */
        public PoolConfig withModel(String otherModel) {
            return new PoolConfig(id, otherModel, engine, deviceMask, ctxMax, quant, samplerProfileVersion, queue, watchdog, replicas, null);
        }
    }

    /**
     * @param id replica id, unique within its pool
     * @param url base URL of the engine's HTTP server
     * @param labels free-form labels shown to tenant {@code route} policies (for example {@code canary: "true"})
     * @param apiKey optional secret the engine was started with ({@code --api-key} of llama.cpp and vLLM), sent
     *     as {@code Authorization: Bearer}; {@code null} sends no credential. Never logged: {@link #toString()}
     *     masks it.
     */
    public record ReplicaConfig(String id, String url, Map<String, String> labels, String apiKey) {
        public ReplicaConfig {
            labels = labels == null ? Map.of() : Map.copyOf(labels);
            apiKey = apiKey == null || apiKey.isEmpty() ? null : apiKey;
        }

        public ReplicaConfig(String id, String url, Map<String, String> labels) {
            this(id, url, labels, null);
        }

        public ReplicaConfig(String id, String url) {
            this(id, url, null, null);
        }

        // Records print every component; configuration dumps and error messages must not carry the secret.
        @Override
        public String toString() {
            return "ReplicaConfig[id=" + id + ", url=" + url + ", labels=" + labels + ", apiKey="
                    + (apiKey == null ? "none" : "***") + "]";
        }
    }

    /**
     * @param capacity waiting tasks per priority (ADM-4)
     * @param fullPolicy what happens when a priority's queue is full
     */
    public record QueueConfig(Map<Priority, Integer> capacity, FullPolicy fullPolicy) {
        public static final int DEFAULT_CAPACITY = 256;
        public static final QueueConfig DEFAULTS = new QueueConfig(null, null);

        public QueueConfig {
            capacity = capacity == null ? Map.of() : Map.copyOf(capacity);
            fullPolicy = fullPolicy == null ? FullPolicy.REJECT : fullPolicy;
        }

        public int capacityOf(Priority p) {
            return capacity.getOrDefault(p, DEFAULT_CAPACITY);
        }
    }

    /**
     * @param wallMs longest a task may run once started
     * @param idleMs longest a running task may go without a token
     */
    public record WatchdogConfig(Long wallMs, Long idleMs) {
        public static final WatchdogConfig DEFAULTS = new WatchdogConfig(null, null);

        public WatchdogConfig {
            wallMs = wallMs == null ? 600_000L : wallMs;
            idleMs = idleMs == null ? 30_000L : idleMs;
        }
    }

    /**
     * @param priorityWeights WFQ weight per priority (SCH-1: interactive 8, batch 1)
     * @param defaultTenantWeight weight of a tenant without its own
     */
    public record SchedulingConfig(Map<Priority, Double> priorityWeights, Double defaultTenantWeight) {
        public static final SchedulingConfig DEFAULTS = new SchedulingConfig(null, null);

        public SchedulingConfig {
            priorityWeights = priorityWeights == null
                    ? Map.of(Priority.INTERACTIVE, 8.0, Priority.BATCH, 1.0)
                    : Map.copyOf(priorityWeights);
            defaultTenantWeight = defaultTenantWeight == null ? 1.0 : defaultTenantWeight;
        }

        public double weightOf(Priority p) {
            return priorityWeights.getOrDefault(p, 1.0);
        }
    }
}
