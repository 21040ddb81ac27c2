package io.sluice.policy.host;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Typed ABI inputs for tests. */
public final class Inputs {
    static final long TIME_MS = 1_764_000_000_000L;

    private Inputs() {}

    public static AdmitInput admit(String tenant) {
        return admit(tenant, UUID.fromString("6f1c1d0e-4f7e-4c59-9a59-6c1c2f5b8a10"), "dev-tiny", 256);
    }

    static AdmitInput admit(String tenant, UUID taskId, String model, int maxTokens) {
        return new AdmitInput(
                new AdmitInput.Tenant(tenant, "gold", Map.of("allowed-models", "dev-tiny,llama-3.1-8b-instruct")),
                new AdmitInput.Request(
                        taskId,
                        UUID.fromString("0b7e2f8a-1f33-4f0e-8d7c-2d3f1b9c4e21"),
                        "completion",
                        model,
                        null,
                        Priority.INTERACTIVE,
                        maxTokens,
                        60_000L,
                        2048,
                        Map.of("team", "search"),
                        11,
                        "hello world"),
                new AdmitInput.Snapshot(
                        TIME_MS,
                        new AdmitInput.Quota(1, 2, 10, null, 0, null),
                        Map.of("pool-a", 3),
                        new AdmitInput.Model(model, "Active")));
    }

    static RouteInput route(String tenant) {
        return new RouteInput(
                admit(tenant),
                List.of(
                        new RouteInput.Candidate("pool-a/r0", "pool-a", "llamacpp", 3, Map.of("zone", "a")),
                        new RouteInput.Candidate("pool-b/r1", "pool-b", "vllm", 0, Map.of("canary", "true"))));
    }
}
