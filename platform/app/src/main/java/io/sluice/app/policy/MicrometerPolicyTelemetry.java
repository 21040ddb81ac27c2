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

    MicrometerPolicyTelemetry(MeterRegistry registry) {
        this.registry = registry;
        for (PolicyErrorKind kind : PolicyErrorKind.values()) {
            errors(kind); // register every kind at zero so dashboards see the series before the first error
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
        Timer.builder("policy.eval")
                .description("Latency of tenant policy calls, by hook and outcome")
                .tag("hook", r.hook().wireName())
                .tag("outcome", r.outcome())
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(500))
                .maximumExpectedValue(Duration.ofMillis(100))
                .register(registry)
                .record(Duration.ofNanos(r.latencyNanos()));
        DECISIONS.infof("policy decision tenant_id=%s task_id=%s policy=%s version=%s digest=%s hook=%s decision=%s error_kind=%s"
                        + " latency_us=%d reason=%s guest_logs=%s",
                r.tenantId(), r.taskId(), r.policy() == null ? null : r.policy().name(),
                r.policy() == null ? null : r.policy().version(), r.policy() == null ? null : r.policy().digest(),
                r.hook().wireName(), r.outcome(), r.errorKind() == null ? "-" : r.errorKind().name().toLowerCase(Locale.ROOT),
                r.latencyNanos() / 1000, quote(r.reason()), r.logs());
    }

    @Override
    public void onError(PolicyErrorKind kind, DecisionRecord record) {
        errors(kind).increment();
    }

    private static String quote(String s) {
        return s == null ? "-" : '"' + s.replace("\"", "'") + '"';
    }
}
