package io.sluice.functions.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.funqy.Funq;
import io.quarkus.runtime.ShutdownEvent;
import io.sluice.core.error.SluiceException;
import io.sluice.functions.schema.Database;
import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.Hook;
import io.sluice.policy.host.PolicyError;
import io.sluice.policy.host.PolicyHost;
import io.sluice.policy.host.PolicyLimits;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyTelemetry;
import io.sluice.policy.host.PolicyValidationException;
import io.sluice.policy.host.RouteOutcome;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * {@code policy-dry-run} (FN-1): evaluates one plugin version on given inputs with the platform's policy host and the
 * platform's limits ({@code sluice.policy.*}, the same keys and defaults), and returns the decision, the plugin's logs
 * and the latency. The module is a stored version ({@code tenant_id}, {@code policy}, {@code version} of
 * {@code policy_versions}) or bytes given inline ({@code module_base64}). Nothing is written.
 */
@ApplicationScoped
public class PolicyDryRun {
    private static final String MODULE = "select m.bytes from policy_versions v join policy_modules m on m.digest = v.digest"
            + " where v.tenant_id = ? and v.name = ? and v.version = ?";

    @Inject
    Database db;

    @ConfigProperty(name = "sluice.policy.call-timeout-ms")
    Optional<Long> callTimeoutMs;

    @ConfigProperty(name = "sluice.policy.call-wall-timeout-ms")
    Optional<Long> callWallTimeoutMs;

    @ConfigProperty(name = "sluice.policy.memory-bytes")
    Optional<Long> memoryBytes;

    @ConfigProperty(name = "sluice.policy.output-bytes")
    Optional<Integer> outputBytes;

    @ConfigProperty(name = "sluice.policy.module-bytes")
    Optional<Integer> moduleBytes;

    private PolicyHost host;

    /** What to evaluate: a stored version or inline bytes, a hook and its ABI input. */
    public record Request(
            @JsonProperty("tenant_id") String tenantId,
            @JsonProperty("policy") String policy,
            @JsonProperty("version") String version,
            @JsonProperty("module_base64") String moduleBase64,
            @JsonProperty("hook") String hook,
            @JsonProperty("input") JsonNode input) {}

    /** The decision as the platform would take it. {@code error} is set instead of a decision when the plugin failed. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(
            @JsonProperty("hook") String hook,
            @JsonProperty("decision") String decision,
            @JsonProperty("reason") String reason,
            @JsonProperty("modifications") Map<String, Object> modifications,
            @JsonProperty("order") List<String> order,
            @JsonProperty("error") Failure error,
            @JsonProperty("logs") List<String> logs,
            @JsonProperty("latency_us") double latencyMicros,
            @JsonProperty("policy") Ref policy) {}

    public record Failure(@JsonProperty("kind") String kind, @JsonProperty("message") String message) {}

    public record Ref(@JsonProperty("name") String name, @JsonProperty("version") String version, @JsonProperty("digest") String digest) {}

    @PostConstruct
    void init() {
        PolicyLimits.Builder b = PolicyLimits.builder();
        callTimeoutMs.ifPresent(ms -> b.callTimeout(Duration.ofMillis(ms)));
        long wall = Math.max(callWallTimeoutMs.orElse(PolicyLimits.DEFAULT_CALL_WALL_TIMEOUT.toMillis()), callTimeoutMs.orElse(0L));
        b.callWallTimeout(Duration.ofMillis(wall));
        memoryBytes.ifPresent(b::memoryBytes);
        outputBytes.ifPresent(b::outputBytes);
        moduleBytes.ifPresent(b::moduleBytes);
        host = PolicyHost.create(b.build(), PolicyTelemetry.NONE);
    }

    void stop(@Observes ShutdownEvent ev) {
        if (host != null) {
            host.close();
        }
    }

    @Funq("policy-dry-run")
    public Result policyDryRun(Request in) {
        if (in == null) {
            throw SluiceException.invalid("input", "a JSON object is required");
        }
        Hook hook = hook(in.hook());
        if (in.input() == null || !in.input().isObject()) {
            throw SluiceException.invalid("input", "input must be the hook's ABI input object");
        }
        String tenant = in.input().path("tenant").path("id").asText(null);
        if (tenant == null || tenant.isBlank()) {
            throw SluiceException.invalid("input.tenant.id", "input.tenant.id is required");
        }
        if (in.tenantId() != null && !in.tenantId().equals(tenant)) {
            // The host runs a plugin only for the tenant its input names, as admission does.
            throw SluiceException.invalid("tenant_id", "tenant_id must be the tenant of input.tenant.id");
        }
        PolicyModule module = compile(bytes(in, tenant));
        if (!module.descriptor().implementsHook(hook)) {
            throw SluiceException.invalid("hook", "the plugin does not implement the " + hook.wireName() + " hook; it implements "
                    + module.descriptor().hooks().stream().map(Hook::wireName).sorted().toList());
        }
        try {
            if (hook == Hook.ADMIT) {
                AdmitOutcome o = host.admitJson(tenant, module, in.input().toString());
                return new Result(hook.wireName(), o.isError() ? null : o.decision().name().toLowerCase(java.util.Locale.ROOT), o.reason(),
                        o.isModified() ? modifications(o) : null, null, failure(o.error()), o.logs(), micros(o.latencyNanos()), ref(o.policy()));
            }
            RouteOutcome o = host.routeJson(tenant, module, in.input().toString());
            return new Result(hook.wireName(), o.isError() ? null : "order", null, null, o.order(), failure(o.error()), o.logs(),
                    micros(o.latencyNanos()), ref(o.policy()));
        } catch (IllegalArgumentException e) {
            throw SluiceException.invalid("input", "input does not match the policy ABI: " + e.getMessage());
        }
    }

    private static Hook hook(String name) {
        if (name == null) {
            throw SluiceException.invalid("hook", "hook is required: admit or route");
        }
        for (Hook h : List.of(Hook.ADMIT, Hook.ROUTE)) {
            if (h.wireName().equals(name)) {
                return h;
            }
        }
        throw SluiceException.invalid("hook", "hook must be admit or route, not '" + name + "'");
    }

    private byte[] bytes(Request in, String tenant) {
        boolean stored = in.policy() != null || in.version() != null;
        if (in.moduleBase64() != null) {
            if (stored) {
                throw SluiceException.invalid("module_base64", "give either module_base64 or policy and version, not both");
            }
            try {
                return Base64.getDecoder().decode(in.moduleBase64());
            } catch (IllegalArgumentException e) {
                throw SluiceException.invalid("module_base64", "module_base64 is not base64");
            }
        }
        if (in.policy() == null || in.version() == null) {
            throw SluiceException.invalid("version", "policy and version (or module_base64) are required");
        }
        String owner = tenant;
        return db.inTransaction("read the policy version", c -> {
            try (PreparedStatement s = c.prepareStatement(MODULE)) {
                s.setString(1, owner);
                s.setString(2, in.policy());
                s.setString(3, in.version());
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        throw SluiceException.notFound("policy " + in.policy() + " version " + in.version() + " of tenant " + owner);
                    }
                    return r.getBytes(1);
                }
            }
        });
    }

    private PolicyModule compile(byte[] wasm) {
        try {
            return host.compile(wasm);
        } catch (PolicyValidationException e) {
            throw SluiceException.invalid("module", "the module is not a valid policy plugin: " + e.getMessage());
        }
    }

    private static Map<String, Object> modifications(AdmitOutcome o) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        if (o.modifications().maxTokens() != null) {
            m.put("max_tokens", o.modifications().maxTokens());
        }
        if (o.modifications().priority() != null) {
            m.put("priority", o.modifications().priority().name().toLowerCase(java.util.Locale.ROOT));
        }
        if (o.modifications().deadlineMs() != null) {
            m.put("deadline_ms", o.modifications().deadlineMs());
        }
        if (!o.modifications().labels().isEmpty()) {
            m.put("labels", o.modifications().labels());
        }
        return m;
    }

    private static Failure failure(PolicyError e) {
        return e == null ? null : new Failure(e.kind().name().toLowerCase(java.util.Locale.ROOT), e.message());
    }

    private static Ref ref(io.sluice.policy.host.PolicyRef p) {
        return p == null ? null : new Ref(p.name(), p.version(), p.digest());
    }

    private static double micros(long nanos) {
        return Math.round(nanos / 100.0) / 10.0;
    }
}
