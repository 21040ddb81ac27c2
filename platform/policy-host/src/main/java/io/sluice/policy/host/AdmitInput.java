package io.sluice.policy.host;

import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Typed {@code admit} input (ABI v1). The host encodes it to the ABI JSON; the prompt is included only
 * for modules whose {@code describe} lists {@code "prompt"} in {@code needs}.
 */
public record AdmitInput(Tenant tenant, Request request, Snapshot snapshot) {

    public AdmitInput {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(snapshot, "snapshot");
    }

    /** The tenant the request belongs to. */
    public record Tenant(String id, String tier, Map<String, String> labels) {
        public Tenant {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(tier, "tier");
            labels = labels == null ? Map.of() : Map.copyOf(labels);
        }
    }

    /**
     * The request under decision.
     *
     * @param engine requested engine, or {@code null} for any
     * @param deadlineMs deadline in milliseconds, relative to submission
     * @param prompt prompt text; sent only to modules that need it, may be {@code null}
     */
    public record Request(
            UUID taskId,
            UUID sessionId,
            String workload,
            String modelRef,
            String engine,
            Priority priority,
            int maxTokens,
            long deadlineMs,
            int ctx,
            Map<String, String> labels,
            int promptChars,
            String prompt) {
        public Request {
            Objects.requireNonNull(taskId, "taskId");
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(workload, "workload");
            Objects.requireNonNull(modelRef, "modelRef");
            Objects.requireNonNull(priority, "priority");
            labels = labels == null ? Map.of() : Map.copyOf(labels);
        }
    }

    /**
     * Explicit inputs of the decision. {@code timeMs} is also what the guest's WASI realtime clock reads.
     *
     * @param queueDepths depth per pool id
     */
    public record Snapshot(long timeMs, Quota quota, Map<String, Integer> queueDepths, Model model) {
        public Snapshot {
            Objects.requireNonNull(quota, "quota");
            Objects.requireNonNull(model, "model");
            queueDepths = queueDepths == null ? Map.of() : Map.copyOf(queueDepths);
        }
    }

    /** Quota usage of the tenant; {@code null} limits mean unlimited. */
    public record Quota(
            int running,
            int queued,
            Integer maxConcurrent,
            Integer maxQueued,
            long tokensPerMinuteUsed,
            Long tokensPerMinute) {}

    /** Catalog state of the requested model. */
    public record Model(String id, String state) {
        public Model {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(state, "state");
        }
    }
}
