package io.sluice.app.policy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.policy.host.DecisionRecord;
import io.sluice.policy.host.PolicyErrorKind;
import io.sluice.policy.host.PolicyTelemetry;
import java.time.Duration;
import java.util.Locale;
import org.jboss.logging.Logger;

/**
 * Policy telemetry (POL-6): a decision log line per call with tenant, plugin name/version/digest, hook,
 * decision, reason and latency; {@code policy_eval_seconds{hook,outcome}} and {@code policy_errors_total{kind}}.
 * Called on the host's worker threads; never throws.
 */
final class MicrometerPolicyTelemetry implements PolicyTelemetry {
    private static final Logger DECISIONS = Logger.getLogger("io.sluice.policy.decisions");
    private final MeterRegistry registry;
    /** Timers by hook and outcome, built once each: a decision costs two lookups, no tag building (ADR 0014). */
    private final java.util.Map<io.sluice.policy.host.Hook, java.util.concurrent.ConcurrentHashMap<String, Timer>> evalTimers =
            new java.util.EnumMap<>(io.sluice.policy.host.Hook.class);
    private final java.util.Map<PolicyErrorKind, Counter> errorCounters = new java.util.EnumMap<>(PolicyErrorKind.class);

    MicrometerPolicyTelemetry(MeterRegistry registry) {
        this.registry = registry;
        for (PolicyErrorKind kind : PolicyErrorKind.values()) {
            errorCounters.put(kind, errors(kind)); // every kind at zero, so dashboards see the series before the first error
        }
        for (io.sluice.policy.host.Hook hook : io.sluice.policy.host.Hook.values()) {
            evalTimers.put(hook, new java.util.concurrent.ConcurrentHashMap<>());
        }
    }

    private Counter errors(PolicyErrorKind kind) {
        return Counter.builder("policy.errors")
                .description("Policy calls that produced no decision, by kind")
                .tag("kind", kind.name().toLowerCase(Locale.ROOT))
                .register(registry);
    }

    @Override
    public void onDecision(DecisionRecord r) {
        evalTimers.get(r.hook()).computeIfAbsent(r.outcome(), outcome -> Timer.builder("policy.eval")
                .description("Latency of tenant policy calls, by hook and outcome")
                .tag("hook", r.hook().wireName())
                .tag("outcome", outcome)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(500))
                .maximumExpectedValue(Duration.ofMillis(100))
                .register(registry))
                .record(r.latencyNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        DECISIONS.infof("policy decision tenant_id=%s task_id=%s policy=%s version=%s digest=%s hook=%s decision=%s error_kind=%s"
                        + " latency_us=%d reason=%s guest_logs=%s",
                r.tenantId(), r.taskId(), r.policy() == null ? null : r.policy().name(),
                r.policy() == null ? null : r.policy().version(), r.policy() == null ? null : r.policy().digest(),
                r.hook().wireName(), r.outcome(), r.errorKind() == null ? "-" : r.errorKind().name().toLowerCase(Locale.ROOT),
                r.latencyNanos() / 1000, quote(r.reason()), r.logs());
    }

    @Override
    public void onError(PolicyErrorKind kind, DecisionRecord record) {
        errorCounters.get(kind).increment();
    }

    private static String quote(String s) {
        return s == null ? "-" : '"' + s.replace("\"", "'") + '"';
    }
}
