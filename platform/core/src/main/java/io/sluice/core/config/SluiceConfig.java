package io.sluice.core.config;

import io.sluice.core.task.EngineKind;
import io.sluice.core.task.Priority;
import java.util.List;
import java.util.Map;

/**
 * The operator's configuration of pools, engines and scheduling (SPEC CFG-1), read from one YAML file by
 * {@link ConfigLoader}. Property names are snake_case in YAML.
 *
 * @param pools the pools this instance schedules onto
 * @param scheduling fair-queuing weights
 */
public record SluiceConfig(List<PoolConfig> pools, SchedulingConfig scheduling) {
    public SluiceConfig {
        pools = pools == null ? List.of() : List.copyOf(pools);
        scheduling = scheduling == null ? SchedulingConfig.DEFAULTS : scheduling;
    }

    /**
     * One pool: a model on a device mask served by replicas of one engine (POOL-1).
     *
     * @param id stable pool id, {@code ^[a-z0-9][a-z0-9-]{0,62}$}
     * @param model model name tasks name in {@code model_ref}
     * @param engine engine all replicas run
     * @param deviceMask GPU device mask of the pool's replicas (placement never crosses masks)
     * @param ctxMax context limit enforced at admission; {@code null} = what the engine reports
     * @param queue bounded queue settings (ADM-4)
     * @param watchdog decode watchdog (SCH-7)
     * @param replicas engine endpoints
     */
    public record PoolConfig(
            String id,
            String model,
            EngineKind engine,
            String deviceMask,
            Integer ctxMax,
            QueueConfig queue,
            WatchdogConfig watchdog,
            List<ReplicaConfig> replicas) {
        public PoolConfig {
            queue = queue == null ? QueueConfig.DEFAULTS : queue;
            watchdog = watchdog == null ? WatchdogConfig.DEFAULTS : watchdog;
            replicas = replicas == null ? List.of() : List.copyOf(replicas);
            deviceMask = deviceMask == null ? "0" : deviceMask;
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
