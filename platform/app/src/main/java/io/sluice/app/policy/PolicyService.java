package io.sluice.app.policy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.sluice.app.policy.PolicyDtos.BindingPut;
import io.sluice.app.policy.PolicyDtos.BindingView;
import io.sluice.app.policy.PolicyDtos.CanaryView;
import io.sluice.app.policy.PolicyDtos.PolicySummary;
import io.sluice.app.policy.PolicyDtos.VersionView;
import io.sluice.app.policy.store.PolicyBindingEntity;
import io.sluice.app.policy.store.PolicyStore;
import io.sluice.app.policy.store.PolicyVersionEntity;
import io.sluice.app.tenancy.TenantDirectory;
import io.sluice.app.tenancy.store.TenantRepository;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.policy.host.Hook;
import io.sluice.policy.host.PolicyFixture;
import io.sluice.policy.host.PolicyHost;
import io.sluice.policy.host.PolicyModule;
import io.sluice.policy.host.PolicyValidationException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Policy lifecycle (POL-4): validated upload of immutable, content-addressed versions; listing; binding with
 * version pin, hooks, failure mode and canary; rollback by pinning the previous version. Everything is
 * tenant-scoped: another tenant's policy does not exist for the caller (SEC-3).
 */
@ApplicationScoped
public class PolicyService {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9-]{0,62}$");
    private static final Pattern VERSION = Pattern.compile("^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$");

    @Inject
    PolicyRuntime runtime;

    @Inject
    PolicyStore store;

    @Inject
    TenantRepository tenants;

    @Inject
    TenantDirectory directory;

    /** An upload's answer: the stored version, and whether it was created now (201) or already there (200). */
    public record Uploaded(VersionView version, boolean created) {}

    // ------------------------------------------------------------------------------------------ upload

    public Uni<Uploaded> upload(String tenant, String subject, String name, byte[] module, String fixturesJson) {
        checkName(name);
        if (module == null || module.length == 0) {
            throw SluiceException.invalid("module", "parse: the module is empty");
        }
        long waitMs = uploadLimiter().tryTake(tenant, directory.liveInstances());
        if (waitMs > 0) {
            throw new SluiceException(SluiceError.of(ErrorCode.QUOTA_EXCEEDED, "policy upload quota of "
                            + runtime.uploadsPerMinute() + " per minute (burst " + runtime.uploadBurst() + ", all instances together) exceeded; retry in "
                            + waitMs + " ms")
                    .withRetryAfter(waitMs));
        }
        List<PolicyFixture> fixtures = parseFixtures(fixturesJson);
        String digest = PolicyHost.digestOf(module);
        String rules = runtime.host().refusalRules();
        io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
        // Bytes refused before, by any instance, are refused again without compiling (POL-9).
        return Panache.withSession(() -> store.refusal("sha256:" + digest, rules))
                .flatMap(before -> {
                    if (before != null) {
                        PolicyValidationException.Reason reason = PolicyValidationException.Reason.valueOf((String) before[0]);
                        runtime.host().rememberRefusal(digest, reason, (String) before[1]);
                        throw SluiceException.invalid("module", check(reason) + ": " + before[1] + PolicyValidationException.REFUSED_BEFORE);
                    }
                    // Parsing, compiling and running describe and fixtures takes from milliseconds to seconds: off the event loop.
                    return Uni.createFrom().item(() -> compile(module, fixtures))
                            .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                            .emitOn(r -> context.runOnContext(v -> r.run()));
                })
                .onFailure(RefusedModule.class).recoverWithUni(f -> {
                    RefusedModule refused = (RefusedModule) f;
                    Uni<Void> remember = refused.cause.remembered() && !refused.cause.getMessage().endsWith(PolicyValidationException.REFUSED_BEFORE)
                            ? Panache.withTransaction(() -> store.putRefusal("sha256:" + digest, rules, refused.cause.reason().name(),
                                    refused.cause.getMessage()))
                            : Uni.createFrom().voidItem();
                    return remember.onItemOrFailure().transform((v, e) -> {
                        throw refused.answer;
                    });
                })
                .flatMap(compiled -> {
                    if (!compiled.descriptor().name().equals(name)) {
                        throw SluiceException.invalid("module", "name: describe() says the policy is named '"
                                + compiled.descriptor().name() + "', but it was uploaded as '" + name + "'");
                    }
                    if (!VERSION.matcher(compiled.descriptor().version()).matches()) {
                        throw SluiceException.invalid("module", "describe: version '" + compiled.descriptor().version()
                                + "' must match " + VERSION.pattern());
                    }
                    return store(tenant, subject, name, module, compiled, fixtures.size());
                });
    }

    private UploadRateLimiter limiter;

    private synchronized UploadRateLimiter uploadLimiter() {
        if (limiter == null) {
            limiter = new UploadRateLimiter(runtime.uploadsPerMinute(), runtime.uploadBurst(), System::nanoTime);
        }
        return limiter;
    }

    /** A refusal by the host, carrying the typed answer and the refusal itself (to remember it). */
    private static final class RefusedModule extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient PolicyValidationException cause;
        final SluiceException answer;

        RefusedModule(PolicyValidationException cause, SluiceException answer) {
            super(cause.getMessage(), null, false, false);
            this.cause = cause;
            this.answer = answer;
        }
    }

    private PolicyModule compile(byte[] module, List<PolicyFixture> fixtures) {
        try {
            return runtime.host().compile(module, fixtures);
        } catch (PolicyValidationException e) {
            String field = "module";
            if (e.reason() == PolicyValidationException.Reason.FIXTURE_FAILED) {
                field = "fixtures";
                for (int i = 0; i < fixtures.size(); i++) {
                    if (e.getMessage().contains(fixtures.get(i).name())) {
                        field = "fixtures[" + i + "]";
                        break;
                    }
                }
            }
            throw new RefusedModule(e, SluiceException.invalid(field, check(e.reason()) + ": " + e.getMessage()));
        }
    }

    /** The name of the upload check that failed, as the contract lists them. */
    private static String check(PolicyValidationException.Reason reason) {
        return switch (reason) {
            case NOT_WASM -> "parse";
            case MISSING_EXPORT, HOOKS_MISMATCH -> "exports";
            case UNSUPPORTED_ABI -> "abi_version";
            case DESCRIBE_FAILED, DESCRIBE_INVALID -> "describe";
            case TOO_LARGE -> "size";
            case FORBIDDEN_IMPORT, MEMORY_TOO_LARGE -> "limits";
            case TOO_COMPLEX, NEEDS_INTERPRETER, COMPILE_TIMEOUT -> "compile";
            case FIXTURE_FAILED -> "fixtures";
        };
    }

    private Uni<Uploaded> store(String tenant, String subject, String name, byte[] bytes, PolicyModule compiled, int fixtures) {
        String digest = "sha256:" + compiled.digest();
        String version = compiled.descriptor().version();
        return Panache.withTransaction(() -> tenants.ensureExists(tenant)
                .flatMap(v -> store.version(tenant, name, version))
                .flatMap(existing -> {
                    if (existing != null) {
                        if (existing.digest.equals(digest)) {
                            return Uni.createFrom().item(new Uploaded(view(existing), false));
                        }
                        throw new SluiceException(SluiceError.of(ErrorCode.CONFLICT, "version " + version + " of policy " + name
                                        + " is already stored with another digest (" + existing.digest + "); versions are immutable")
                                .withField("module"));
                    }
                    PolicyVersionEntity e = new PolicyVersionEntity();
                    e.tenantId = tenant;
                    e.name = name;
                    e.version = version;
                    e.digest = digest;
                    e.abiVersion = compiled.descriptor().abiVersion();
                    e.hooksJson = json(wireHooks(compiled.descriptor().hooks()));
                    e.needsJson = json(new TreeSet<>(compiled.descriptor().needs()));
                    e.sizeBytes = bytes.length;
                    e.fixturesPassed = fixtures;
                    e.createdAt = OffsetDateTime.now(ZoneOffset.UTC);
                    e.createdBy = subject;
                    return store.putModule(digest, bytes).flatMap(v -> e.persistAndFlush()).replaceWith(new Uploaded(view(e), true));
                }));
    }

    private static List<PolicyFixture> parseFixtures(String json) {
        if (json == null || json.isBlank()) {
            return List.of();
        }
        JsonNode arr;
        try {
            arr = JSON.readTree(json);
        } catch (Exception e) {
            throw SluiceException.invalid("fixtures", "fixtures: not valid JSON");
        }
        if (arr == null || !arr.isArray()) {
            throw SluiceException.invalid("fixtures", "fixtures: must be a JSON array of fixtures");
        }
        List<PolicyFixture> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            try {
                out.add(PolicyFixture.parse("fixtures[" + i + "]", arr.get(i).toString()));
            } catch (RuntimeException e) {
                throw SluiceException.invalid("fixtures[" + i + "]", "fixtures: " + e.getMessage());
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------ reads

    public Uni<List<PolicySummary>> list(String tenant) {
        return Panache.withSession(() -> store.allVersions(tenant).flatMap(versions -> store.bindings(tenant).map(bindings -> {
            Map<String, List<PolicyVersionEntity>> byName = new java.util.TreeMap<>();
            for (PolicyVersionEntity v : versions) {
                byName.computeIfAbsent(v.name, n -> new ArrayList<>()).add(v);
            }
            List<PolicySummary> out = new ArrayList<>();
            for (var e : byName.entrySet()) {
                PolicyBindingEntity b = bindings.stream().filter(x -> x.name.equals(e.getKey())).findFirst().orElse(null);
                out.add(summary(e.getValue(), b == null ? null : bindingView(b, e.getValue())));
            }
            return out;
        })));
    }

    public Uni<PolicySummary> get(String tenant, String name) {
        checkName(name);
        return Panache.withSession(() -> store.versions(tenant, name).flatMap(versions -> {
            if (versions.isEmpty()) {
                throw SluiceException.notFound("policy " + name);
            }
            return store.binding(tenant, name).map(b -> summary(versions, b == null ? null : bindingView(b, versions)));
        }));
    }

    public Uni<List<VersionView>> versions(String tenant, String name) {
        checkName(name);
        return Panache.withSession(() -> store.versions(tenant, name)).map(vs -> {
            if (vs.isEmpty()) {
                throw SluiceException.notFound("policy " + name);
            }
            return vs.stream().map(PolicyService::view).toList();
        });
    }

    public Uni<VersionView> version(String tenant, String name, String version) {
        checkName(name);
        return Panache.withSession(() -> store.version(tenant, name, version)).map(v -> {
            if (v == null) {
                throw SluiceException.notFound("version " + version + " of policy " + name);
            }
            return view(v);
        });
    }

    public Uni<BindingView> binding(String tenant, String name) {
        checkName(name);
        return Panache.withSession(() -> store.binding(tenant, name).flatMap(b -> {
            if (b == null) {
                throw SluiceException.notFound("binding of policy " + name);
            }
            return store.versions(tenant, name).map(vs -> bindingView(b, vs));
        }));
    }

    // ------------------------------------------------------------------------------------------ binding

    /**
     * Pins a version (POL-3, POL-4). The in-memory admission view is refreshed before the answer, so the
     * binding applies to every task admitted after it.
     */
    public Uni<BindingView> bind(String tenant, String subject, String name, BindingPut put) {
        checkName(name);
        validate(put);
        Set<String> hooks = new TreeSet<>(put.hooks());
        String failureMode = put.failureMode() == null ? "fail_closed" : put.failureMode();
        String canaryVersion = put.canary() == null ? null : put.canary().version();
        Integer canaryPercent = put.canary() == null ? null : put.canary().percent();
        io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
        return Panache.withTransaction(() -> store.versions(tenant, name).flatMap(versions -> {
                    PolicyVersionEntity pinned = find(versions, put.version());
                    if (pinned == null) {
                        throw notFound("version", "version " + put.version() + " of policy " + name + " is not stored");
                    }
                    requireHooks(pinned, hooks, "hooks");
                    if (canaryVersion != null) {
                        PolicyVersionEntity canary = find(versions, canaryVersion);
                        if (canary == null) {
                            throw notFound("canary.version", "canary version " + canaryVersion + " of policy " + name + " is not stored");
                        }
                        requireHooks(canary, hooks, "canary.version");
                    }
                    return store.bindings(tenant).flatMap(all -> {
                        for (PolicyBindingEntity other : all) {
                            if (!other.name.equals(name)) {
                                Set<String> taken = new TreeSet<>(readList(other.hooksJson));
                                taken.retainAll(hooks);
                                if (!taken.isEmpty()) {
                                    throw new SluiceException(SluiceError.of(ErrorCode.CONFLICT, "hook " + taken + " is already bound to policy "
                                                    + other.name + "; delete that binding first")
                                            .withField("hooks"));
                                }
                            }
                        }
                        PolicyBindingEntity b = all.stream().filter(x -> x.name.equals(name)).findFirst().orElse(null);
                        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
                        if (b == null) {
                            b = new PolicyBindingEntity();
                            b.tenantId = tenant;
                            b.name = name;
                            b.revision = 1;
                        } else if (b.version.equals(put.version()) && readList(b.hooksJson).equals(new ArrayList<>(hooks))
                                && b.failureMode.equals(failureMode) && Objects.equals(b.canaryVersion, canaryVersion)
                                && Objects.equals(b.canaryPercent, canaryPercent)) {
                            return Uni.createFrom().item(bindingView(b, versions)); // the same binding again: no change
                        } else {
                            if (!b.version.equals(put.version())) {
                                b.previousVersion = b.version;
                            }
                            b.revision++;
                        }
                        b.version = put.version();
                        b.hooksJson = json(hooks);
                        b.failureMode = failureMode;
                        b.canaryVersion = canaryVersion;
                        b.canaryPercent = canaryPercent;
                        b.updatedAt = now;
                        b.updatedBy = subject;
                        PolicyBindingEntity saved = b;
                        return saved.persistAndFlush().replaceWith(bindingView(saved, versions));
                    });
                }))
                .flatMap(view -> refreshAdmission(context).replaceWith(view));
    }

    public Uni<Void> unbind(String tenant, String name) {
        checkName(name);
        io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
        return Panache.withTransaction(() -> PolicyBindingEntity.delete("tenantId = ?1 and name = ?2", tenant, name)).flatMap(n -> {
            if (n == 0) {
                throw SluiceException.notFound("binding of policy " + name);
            }
            return refreshAdmission(context);
        });
    }

    /** Reloads the admission view on a worker thread, then resumes on the request's context. */
    private Uni<Void> refreshAdmission(io.vertx.core.Context context) {
        return Uni.createFrom().item(() -> {
                    try {
                        runtime.reload();
                        return (Void) null;
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Throwable t) {
                        throw new IllegalStateException("could not refresh policy bindings", t);
                    }
                })
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool())
                .emitOn(r -> context.runOnContext(v -> r.run()));
    }

    private static void validate(BindingPut put) {
        if (put == null) {
            throw SluiceException.invalid("body", "a PolicyBindingPut body is required");
        }
        if (put.version() == null || !VERSION.matcher(put.version()).matches()) {
            throw SluiceException.invalid("version", "version must match " + VERSION.pattern());
        }
        if (put.hooks() == null || put.hooks().isEmpty() || put.hooks().size() > 2 || new LinkedHashSet<>(put.hooks()).size() != put.hooks().size()) {
            throw SluiceException.invalid("hooks", "hooks must be 1 or 2 distinct values of [admit, route]");
        }
        for (String h : put.hooks()) {
            if (!"admit".equals(h) && !"route".equals(h)) {
                throw SluiceException.invalid("hooks", "hooks must be values of [admit, route]");
            }
        }
        if (put.failureMode() != null && !put.failureMode().equals("fail_closed") && !put.failureMode().equals("fail_open")) {
            throw SluiceException.invalid("failure_mode", "failure_mode must be one of [fail_closed, fail_open]");
        }
        if (put.canary() != null) {
            if (put.canary().version() == null || !VERSION.matcher(put.canary().version()).matches()) {
                throw SluiceException.invalid("canary.version", "canary.version must match " + VERSION.pattern());
            }
            if (put.canary().percent() == null || put.canary().percent() < 0 || put.canary().percent() > 100) {
                throw SluiceException.invalid("canary.percent", "canary.percent must be between 0 and 100");
            }
        }
    }

    private static void requireHooks(PolicyVersionEntity v, Set<String> hooks, String field) {
        List<String> declared = readList(v.hooksJson);
        for (String h : hooks) {
            if (!declared.contains(h)) {
                throw SluiceException.invalid(field, "version " + v.version + " does not implement hook " + h + " (it declares " + declared + ")");
            }
        }
    }

    private static SluiceException notFound(String field, String message) {
        return new SluiceException(SluiceError.of(ErrorCode.NOT_FOUND, message).withField(field));
    }

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw SluiceException.invalid("path.name", "policy name must match " + NAME.pattern());
        }
    }

    // ------------------------------------------------------------------------------------------ views

    private static PolicyVersionEntity find(List<PolicyVersionEntity> versions, String version) {
        return versions.stream().filter(v -> v.version.equals(version)).findFirst().orElse(null);
    }

    static VersionView view(PolicyVersionEntity v) {
        return new VersionView(v.name, v.version, v.digest, v.abiVersion, readList(v.hooksJson), readList(v.needsJson),
                (long) v.sizeBytes, v.createdAt, v.createdBy, v.fixturesPassed);
    }

    private static PolicySummary summary(List<PolicyVersionEntity> newestFirst, BindingView binding) {
        PolicyVersionEntity latest = newestFirst.get(0);
        PolicyVersionEntity first = newestFirst.get(newestFirst.size() - 1);
        return new PolicySummary(latest.name, latest.version, newestFirst.size(), first.createdAt, binding);
    }

    private static BindingView bindingView(PolicyBindingEntity b, List<PolicyVersionEntity> versions) {
        PolicyVersionEntity pinned = find(versions, b.version);
        CanaryView canary = null;
        if (b.canaryVersion != null) {
            PolicyVersionEntity cv = find(versions, b.canaryVersion);
            canary = new CanaryView(b.canaryVersion, cv == null ? null : cv.digest, b.canaryPercent == null ? 0 : b.canaryPercent);
        }
        return new BindingView(b.name, b.version, pinned == null ? null : pinned.digest, readList(b.hooksJson), b.failureMode, canary,
                b.previousVersion, b.revision, b.updatedAt, b.updatedBy);
    }

    private static List<String> wireHooks(Set<Hook> hooks) {
        return hooks.stream().map(Hook::wireName).sorted().toList();
    }

    static List<String> readList(String json) {
        try {
            return JSON.readValue(json, new TypeReference<List<String>>() {});
        } catch (Exception e) {
            throw new IllegalStateException("corrupt JSON list in the policy store: " + json, e);
        }
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
