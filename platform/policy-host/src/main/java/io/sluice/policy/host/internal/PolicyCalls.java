package io.sluice.policy.host.internal;

import io.sluice.policy.host.AdmitInput;
import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.DecisionRecord;
import io.sluice.policy.host.FixtureResult;
import io.sluice.policy.host.Hook;
import io.sluice.policy.host.PolicyError;
import io.sluice.policy.host.PolicyErrorKind;
import io.sluice.policy.host.PolicyFixture;
import io.sluice.policy.host.PolicyTelemetry;
import io.sluice.policy.host.RouteInput;
import io.sluice.policy.host.RouteOutcome;
import io.sluice.policy.host.internal.abi.AbiJson.EncodedInput;
import io.sluice.policy.host.internal.abi.AbiJson;
import io.sluice.policy.host.internal.abi.AbiSchemas.Kind;
import io.sluice.policy.host.internal.abi.AbiSchemas;
import io.sluice.policy.host.internal.abi.FixtureJudge;
import io.sluice.policy.host.internal.abi.GuestInputs;
import io.sluice.policy.host.internal.abi.OutputValidator.AdmitParts;
import io.sluice.policy.host.internal.abi.OutputValidator;
import io.sluice.policy.host.internal.call.CallExecutor;
import io.sluice.policy.host.internal.call.CallResult;
import io.sluice.policy.host.internal.call.OutputCheck;
import io.sluice.policy.host.internal.wasm.CompiledPolicy;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * The hooks as the platform sees them: typed or JSON input in, ABI JSON to the guest, the guest's output
 * checked into an {@link AdmitOutcome} or {@link RouteOutcome}, one {@link DecisionRecord} to telemetry.
 * Where and under which limits the guest runs is {@link CallExecutor}'s business.
 *
 * <p>Thread-safe.
 */
final class PolicyCalls {
    private static final System.Logger LOG = System.getLogger(PolicyCalls.class.getName());

    private final CallExecutor executor;
    private final AbiSchemas schemas;
    private final PolicyTelemetry telemetry;

    PolicyCalls(CallExecutor executor, AbiSchemas schemas, PolicyTelemetry telemetry) {
        this.executor = executor;
        this.schemas = schemas;
        this.telemetry = telemetry;
    }

    /** Whose pool a call uses, and whether its outcome is reported to telemetry. */
    enum Caller {
        /** Platform traffic and fixtures run as a tenant: that tenant's pool, reported. */
        TENANT,
        /** Upload-time calls: the upload pool, not reported. */
        UPLOAD
    }

    AdmitOutcome admit(String tenantId, CompiledPolicy policy, AdmitInput input) {
        requireTenant(tenantId, input.tenant().id());
        if (!policy.descriptor().implementsHook(Hook.ADMIT)) {
            return rejectedAdmit(policy, "module does not declare the admit hook");
        }
        EncodedInput enc = GuestInputs.admit(policy.descriptor(), input);
        return admitEncoded(tenantId, Caller.TENANT, policy, enc);
    }

    AdmitOutcome admitJson(String tenantId, CompiledPolicy policy, String inputJson) {
        if (!policy.descriptor().implementsHook(Hook.ADMIT)) {
            return rejectedAdmit(policy, "module does not declare the admit hook");
        }
        EncodedInput enc = encodeJson(inputJson, policy, Hook.ADMIT);
        requireTenant(tenantId, enc.facts().tenantId());
        return admitEncoded(tenantId, Caller.TENANT, policy, enc);
    }

    RouteOutcome route(String tenantId, CompiledPolicy policy, RouteInput input) {
        requireTenant(tenantId, input.admit().tenant().id());
        if (!policy.descriptor().implementsHook(Hook.ROUTE)) {
            return rejectedRoute(policy, "module does not declare the route hook");
        }
        EncodedInput enc = GuestInputs.route(policy.descriptor(), input);
        return routeEncoded(tenantId, Caller.TENANT, policy, enc);
    }

    RouteOutcome routeJson(String tenantId, CompiledPolicy policy, String inputJson) {
        if (!policy.descriptor().implementsHook(Hook.ROUTE)) {
            return rejectedRoute(policy, "module does not declare the route hook");
        }
        EncodedInput enc = encodeJson(inputJson, policy, Hook.ROUTE);
        requireTenant(tenantId, enc.facts().tenantId());
        return routeEncoded(tenantId, Caller.TENANT, policy, enc);
    }

    /** Runs one fixture as its input's tenant (traffic pools and limits, reported) or as an upload check. */
    FixtureResult runFixture(CompiledPolicy policy, PolicyFixture fixture, Caller caller) {
        EncodedInput enc = encodeJson(fixture.inputJson(), policy, fixture.hook());
        if (!policy.descriptor().implementsHook(fixture.hook())) {
            throw new IllegalArgumentException("fixture '" + fixture.name() + "' calls hook '" + fixture.hook().wireName()
                    + "', which the module does not declare");
        }
        String tenant = enc.facts().tenantId();
        if (fixture.hook() == Hook.ADMIT) {
            return FixtureJudge.judge(fixture, admitEncoded(tenant, caller, policy, enc), null);
        }
        return FixtureJudge.judge(fixture, null, routeEncoded(tenant, caller, policy, enc));
    }

    private EncodedInput encodeJson(String inputJson, CompiledPolicy policy, Hook hook) {
        EncodedInput enc = AbiJson.fromJson(inputJson, policy.descriptor().needsPrompt(), hook == Hook.ROUTE);
        JsonNode tree = AbiJson.MAPPER.readTree(enc.json());
        Kind kind = hook == Hook.ROUTE ? Kind.ROUTE_INPUT : Kind.ADMIT_INPUT;
        List<String> problems = schemas.validate(kind, tree, 5);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("input does not match " + kind.file + ": " + String.join("; ", problems));
        }
        return GuestInputs.fromCheckedJson(policy.descriptor(), enc, tree, hook == Hook.ROUTE);
    }

    AdmitOutcome admitEncoded(String tenant, Caller caller, CompiledPolicy policy, EncodedInput enc) {
        long t0 = System.nanoTime();
        OutputCheck<AdmitParts> check = (out, facts) -> OutputValidator.admit(out, facts, schemas);
        CallResult<AdmitParts> r = caller == Caller.UPLOAD
                ? executor.callForUpload(policy, Hook.ADMIT.wireName(), enc, check)
                : executor.call(tenant, policy, Hook.ADMIT.wireName(), enc, check);
        long latency = System.nanoTime() - t0;
        AdmitOutcome outcome = r.error() != null
                ? new AdmitOutcome(null, null, null, r.error(), policy.ref(), latency, r.logs())
                : new AdmitOutcome(r.value().decision(), r.value().reason(), r.value().modifications(), null, policy.ref(), latency, r.logs());
        if (caller == Caller.TENANT) {
            String reason = outcome.isError() ? outcome.error().message() : outcome.reason();
            emit(new DecisionRecord(enc.facts().tenantId(), enc.facts().taskId(), policy.ref(), Hook.ADMIT,
                    outcome.outcomeLabel(), outcome.isError() ? outcome.error().kind() : null, reason, latency, outcome.logs()));
        }
        return outcome;
    }

    RouteOutcome routeEncoded(String tenant, Caller caller, CompiledPolicy policy, EncodedInput enc) {
        long t0 = System.nanoTime();
        OutputCheck<List<String>> check = (out, facts) -> OutputValidator.route(out, facts, schemas);
        CallResult<List<String>> r = caller == Caller.UPLOAD
                ? executor.callForUpload(policy, Hook.ROUTE.wireName(), enc, check)
                : executor.call(tenant, policy, Hook.ROUTE.wireName(), enc, check);
        long latency = System.nanoTime() - t0;
        RouteOutcome outcome = new RouteOutcome(r.value(), r.error(), policy.ref(), latency, r.logs());
        if (caller == Caller.TENANT) {
            String reason = outcome.isError() ? outcome.error().message() : String.join(",", outcome.order());
            emit(new DecisionRecord(enc.facts().tenantId(), enc.facts().taskId(), policy.ref(), Hook.ROUTE,
                    outcome.outcomeLabel(), outcome.isError() ? outcome.error().kind() : null, reason, latency, outcome.logs()));
        }
        return outcome;
    }

    private static AdmitOutcome rejectedAdmit(CompiledPolicy policy, String message) {
        return new AdmitOutcome(null, null, null, new PolicyError(PolicyErrorKind.REJECTED, message), policy.ref(), 0, List.of());
    }

    private static RouteOutcome rejectedRoute(CompiledPolicy policy, String message) {
        return new RouteOutcome(null, new PolicyError(PolicyErrorKind.REJECTED, message), policy.ref(), 0, List.of());
    }

    private void emit(DecisionRecord record) {
        try {
            telemetry.onDecision(record);
            if (record.errorKind() != null) {
                telemetry.onError(record.errorKind(), record);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "policy telemetry listener failed", e);
        }
    }

    private static void requireTenant(String tenantId, String inputTenant) {
        if (tenantId == null || tenantId.isBlank() || tenantId.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("tenant id must be non-blank printable text");
        }
        if (!tenantId.equals(inputTenant)) {
            throw new IllegalArgumentException("input tenant.id '" + inputTenant + "' does not match the calling tenant '"
                    + tenantId + "'; a policy only ever sees its own tenant's requests");
        }
    }
}
