package io.sluice.policy.host.internal.abi;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.Priority;
import io.sluice.policy.host.RouteInput;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A plausible ABI input, used only to exercise a module's code paths after upload. */
public final class WarmUpInputs {
    private WarmUpInputs() {}

    public static AdmitInput admit() {
        return new AdmitInput(
                new AdmitInput.Tenant("warm-up", "standard", Map.of("warm-up", "true")),
                new AdmitInput.Request(
                        UUID.fromString("00000000-0000-4000-8000-000000000000"),
                        UUID.fromString("00000000-0000-4000-8000-000000000001"),
                        "completion",
                        "warm-up-model",
                        null,
                        Priority.INTERACTIVE,
                        256,
                        60_000L,
                        2048,
                        Map.of("source", "warm-up"),
                        32,
                        "Summarise the attached text please."),
                new AdmitInput.Snapshot(
                        1_764_000_000_000L,
                        new AdmitInput.Quota(1, 0, 10, 100, 0, null),
                        Map.of("pool-a", 1),
                        new AdmitInput.Model("warm-up-model", "Active")));
    }

    public static RouteInput route(AdmitInput admit) {
        return new RouteInput(admit, List.of(
                new RouteInput.Candidate("pool-a/r0", "pool-a", "llamacpp", 2, Map.of("zone", "a")),
                new RouteInput.Candidate("pool-b/r0", "pool-b", "vllm", 1, Map.of("zone", "b"))));
    }
}
