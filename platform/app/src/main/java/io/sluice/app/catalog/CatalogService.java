package io.sluice.app.catalog;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.sluice.app.catalog.CatalogDtos.Alias;
import io.sluice.app.catalog.CatalogDtos.AliasPut;
import io.sluice.app.catalog.CatalogDtos.AliasTarget;
import io.sluice.app.catalog.CatalogDtos.DsseEnvelope;
import io.sluice.app.catalog.CatalogDtos.ModelCreate;
import io.sluice.app.catalog.CatalogDtos.ModelEntry;
import io.sluice.app.catalog.CatalogDtos.Page;
import io.sluice.app.catalog.CatalogDtos.StateChange;
import io.sluice.app.catalog.CatalogDtos.Transition;
import io.sluice.app.catalog.CatalogDtos.Verification;
import io.sluice.app.catalog.CatalogDtos.VerificationRun;
import io.sluice.app.catalog.store.AliasEntity;
import io.sluice.app.catalog.store.CatalogModelEntity;
import io.sluice.app.catalog.store.TransitionEntity;
import io.sluice.app.chattemplates.ChatTemplates;
import io.sluice.core.catalog.DsseVerifier.Outcome;
import io.sluice.core.catalog.EntryVerification;
import io.sluice.core.catalog.Lifecycle;
import io.sluice.core.catalog.ModelState;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.LockModeType;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The catalog's control plane (CAT-1..3, LIFE-1..3): ingest with trust checks, reads, verification runs, lifecycle
 * transitions with their audit rows, and alias splits with rollback. Every change is one transaction; a refused
 * request stores nothing. After a change commits, this instance's admission view is refreshed before the answer,
 * and other instances hear of it through the change feed.
 */
@ApplicationScoped
public class CatalogService {
    private static final Pattern NAME = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$");
    private static final Pattern TAG = Pattern.compile("^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$");
    private static final Pattern DIGEST = Pattern.compile("^sha256:[0-9a-f]{64}$");
    private static final Pattern ALIAS = Pattern.compile("^[a-z0-9][a-z0-9._-]{0,127}$");
    /** Largest manifest kept with an entry; SBOMs and envelopes are bounded by the request body limit. */
    static final int MAX_MANIFEST_BYTES = 256 * 1024;

    @Inject
    ObjectMapper json;

    @Inject
    CatalogTrust trust;

    @Inject
    CatalogRuntime runtime;

    @Inject
    ChatTemplates chatTemplates;

    /** An ingest's answer: the entry, and whether it was created now (201) or already there (200). */
    public record Ingested(ModelEntry entry, boolean created) {}

    /** An alias change's answer: the alias, and whether it was created now (201). */
    public record AliasChanged(Alias alias, boolean created) {}

    // ------------------------------------------------------------------------------------------ ingest

    public Uni<Ingested> ingest(String subject, ModelCreate in) {
        validate(in);
        String manifestJson = write(in.manifest());
        Outcome outcome = trust.verify(in.sourceRegistry(), in.manifest(), in.signatures(), in.sbom());
        String policy = trust.policy();
        if (!outcome.verified() && CatalogTrust.STRICT.equals(policy)) {
            throw new SluiceException(SluiceError.of(ErrorCode.UNTRUSTED_ARTIFACT,
                            "untrusted artifact (" + outcome.failure().label() + "): " + outcome.detail())
                    .withField(field(outcome)));
        }
        OffsetDateTime now = now();
        return Panache.withTransaction(() -> CatalogModelEntity.<CatalogModelEntity>find("name = ?1 and tag = ?2", in.name(), in.tag())
                        .firstResult()
                        .flatMap(existing -> {
                            if (existing != null) {
                                if (existing.artifactDigest.equals(in.artifactDigest())) {
                                    return transitions(existing.id).map(h -> new Ingested(view(existing, h), false));
                                }
                                throw new SluiceException(SluiceError.of(ErrorCode.CONFLICT, in.name() + ":" + in.tag()
                                                + " already resolves to " + existing.artifactDigest + "; tags are immutable")
                                        .withField("artifact_digest"));
                            }
                            CatalogModelEntity e = new CatalogModelEntity();
                            e.id = UUID.randomUUID();
                            e.name = in.name();
                            e.tag = in.tag();
                            e.sourceRegistry = in.sourceRegistry();
                            e.artifactDigest = in.artifactDigest();
                            e.manifestJson = manifestJson;
                            e.signaturesJson = write(in.signatures() == null ? List.of() : in.signatures());
                            e.sbomJson = in.sbom() == null ? null : write(in.sbom());
                            applyOutcome(e, outcome, policy, UUID.randomUUID(), now);
                            e.state = ModelState.Draft.name();
                            e.archived = false;
                            e.rowVersion = 1;
                            e.createdAt = now;
                            e.createdBy = subject;
                            e.updatedAt = now;
                            TransitionEntity t = transition(e.id, null, ModelState.Draft, now, subject, "ingested", null);
                            return e.persistAndFlush()
                                    .flatMap(x -> Panache.getSession().flatMap(s -> s.createNativeQuery(
                                                    "insert into catalog_tag_resolutions (name, tag, digest, model_id, resolved_at, resolved_by)"
                                                            + " values (?1, ?2, ?3, ?4, ?5, ?6)")
                                            .setParameter(1, e.name)
                                            .setParameter(2, e.tag)
                                            .setParameter(3, e.artifactDigest)
                                            .setParameter(4, e.id)
                                            .setParameter(5, now)
                                            .setParameter(6, subject)
                                            .executeUpdate()))
                                    .flatMap(x -> t.persist())
                                    .replaceWith(() -> new Ingested(view(e, List.of(t)), true));
                        }))
                .onFailure(CatalogService::uniqueViolation)
                .transform(x -> new SluiceException(SluiceError.of(ErrorCode.CONFLICT, in.name() + ":" + in.tag()
                                + " was ingested concurrently; read it and retry if the digest differs")
                        .withField("tag")))
                .call(ingested -> ingested.created() ? runtime.refreshNow() : Uni.createFrom().voidItem());
    }

    private static String field(Outcome o) {
        return switch (o.failure()) {
            case UNKNOWN_REGISTRY -> "source_registry";
            case NO_SBOM, BAD_SBOM -> "sbom";
            default -> "signatures";
        };
    }

    private void validate(ModelCreate in) {
        if (in == null) {
            throw SluiceException.invalid("body", "a ModelCreate body is required");
        }
        check("name", in.name(), NAME);
        check("tag", in.tag(), TAG);
        if (in.sourceRegistry() == null || in.sourceRegistry().isEmpty() || in.sourceRegistry().length() > 256) {
            throw SluiceException.invalid("source_registry", "source_registry must be 1 to 256 characters");
        }
        check("artifact_digest", in.artifactDigest(), DIGEST);
        if (in.manifest() == null || !in.manifest().isObject()) {
            throw SluiceException.invalid("manifest", "manifest must be a JSON object");
        }
        if (write(in.manifest()).getBytes(StandardCharsets.UTF_8).length > MAX_MANIFEST_BYTES) {
            throw SluiceException.invalid("manifest", "manifest is larger than " + MAX_MANIFEST_BYTES + " bytes");
        }
        // A declared chat template is what the facade renders chat messages with (ADR 0037): refuse one it cannot use.
        chatTemplates.checkManifest(in.manifest());
        JsonNode named = in.manifest().get("artifact_digest");
        if (named == null || !named.isTextual() || !named.asText().equals(in.artifactDigest())) {
            throw SluiceException.invalid("manifest.artifact_digest", "the manifest must name the entry's artifact_digest");
        }
        if (in.signatures() != null) {
            if (in.signatures().size() > 16) {
                throw SluiceException.invalid("signatures", "at most 16 envelopes");
            }
            for (int i = 0; i < in.signatures().size(); i++) {
                DsseEnvelope env = in.signatures().get(i);
                if (env == null || env.payloadType() == null || env.payload() == null || env.signatures() == null
                        || env.signatures().isEmpty() || env.signatures().size() > 16) {
                    throw SluiceException.invalid("signatures[" + i + "]", "a DSSE envelope needs payloadType, payload and 1 to 16 signatures");
                }
                for (var s : env.signatures()) {
                    if (s == null || s.sig() == null) {
                        throw SluiceException.invalid("signatures[" + i + "].signatures", "every signature needs sig");
                    }
                }
            }
        }
        if (in.sbom() != null && !in.sbom().isObject()) {
            throw SluiceException.invalid("sbom", "sbom must be a JSON object");
        }
    }

    private static void check(String field, String value, Pattern p) {
        if (value == null || !p.matcher(value).matches()) {
            throw SluiceException.invalid(field, field + " must match " + p.pattern());
        }
    }

    private static void applyOutcome(CatalogModelEntity e, Outcome o, String policy, UUID runId, OffsetDateTime at) {
        EntryVerification.Recorded r = EntryVerification.recorded(o, policy);
        e.verificationPolicy = policy;
        e.verificationId = runId;
        e.verifiedAt = at;
        e.verificationState = r.state();
        e.verificationReason = r.reason();
        e.verificationKeyIds = writeStatic(r.keyIds());
    }

    // ------------------------------------------------------------------------------------------ reads

    public Uni<ModelEntry> get(String id) {
        UUID uuid = modelId(id);
        return Panache.withSession(() -> CatalogModelEntity.<CatalogModelEntity>findById(uuid).flatMap(e -> {
            if (e == null) {
                throw SluiceException.notFound("catalog entry " + id);
            }
            return transitions(e.id).map(h -> view(e, h));
        }));
    }

    public Uni<Page<ModelEntry>> list(String name, String state, String verification, String cursor, int limit) {
        if (state != null && ModelState.parse(state) == null) {
            throw SluiceException.invalid("state", "state must be one of Draft, Active, Canary, Deprecated, Retired");
        }
        if (verification != null && !Set.of("verified", "unverified", "failed", "pending").contains(verification)) {
            throw SluiceException.invalid("verification", "verification must be one of verified, unverified, failed, pending");
        }
        StringBuilder q = new StringBuilder("1 = 1");
        List<Object> args = new ArrayList<>();
        if (name != null) {
            args.add(name);
            q.append(" and name = ?").append(args.size());
        }
        if (state != null) {
            args.add(state);
            q.append(" and state = ?").append(args.size());
        }
        if (verification != null) {
            args.add(verification);
            q.append(" and verificationState = ?").append(args.size());
        }
        if (cursor != null) {
            String[] after = Cursors.decode(cursor, 3);
            args.add(after[0]);
            int n = args.size();
            args.add(after[1]);
            args.add(UUID.fromString(after[2]));
            q.append(" and (name > ?").append(n).append(" or (name = ?").append(n).append(" and (tag > ?").append(n + 1)
                    .append(" or (tag = ?").append(n + 1).append(" and id > ?").append(n + 2).append("))))");
        }
        q.append(" order by name, tag, id");
        return Panache.withSession(() -> CatalogModelEntity.<CatalogModelEntity>find(q.toString(), args.toArray())
                .range(0, limit)
                .list()
                .flatMap(rows -> {
                    boolean more = rows.size() > limit;
                    List<CatalogModelEntity> page = more ? rows.subList(0, limit) : rows;
                    List<UUID> ids = page.stream().map(e -> e.id).toList();
                    return allTransitions(ids).map(byModel -> {
                        List<ModelEntry> items = new ArrayList<>();
                        for (CatalogModelEntity e : page) {
                            items.add(view(e, byModel.getOrDefault(e.id, List.of())));
                        }
                        CatalogModelEntity last = page.isEmpty() ? null : page.get(page.size() - 1);
                        return new Page<>(items, more ? Cursors.encode(last.name, last.tag, last.id.toString()) : null);
                    });
                }));
    }

    public Uni<Page<Transition>> transitionPage(String id, String cursor, int limit) {
        UUID uuid = modelId(id);
        long after = cursor == null ? 0 : parseLong(Cursors.decode(cursor, 1)[0]);
        return Panache.withSession(() -> CatalogModelEntity.<CatalogModelEntity>findById(uuid).flatMap(e -> {
            if (e == null) {
                throw SluiceException.notFound("catalog entry " + id);
            }
            return TransitionEntity.<TransitionEntity>find("modelId = ?1 and id > ?2 order by id", uuid, after)
                    .range(0, limit)
                    .list()
                    .map(rows -> {
                        boolean more = rows.size() > limit;
                        List<TransitionEntity> page = more ? rows.subList(0, limit) : rows;
                        return new Page<>(page.stream().map(CatalogService::view).toList(),
                                more ? Cursors.encode(String.valueOf(page.get(page.size() - 1).id)) : null);
                    });
        }));
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw SluiceException.invalid("cursor", "cursor is not one this server issued");
        }
    }

    // ------------------------------------------------------------------------------------------ verify

    /** Runs a verification now against the current trust roots and records its outcome (CAT-3). */
    public Uni<VerificationRun> verify(String id) {
        UUID uuid = modelId(id);
        return Panache.withTransaction(() -> CatalogModelEntity.<CatalogModelEntity>findById(uuid).flatMap(e -> {
            if (e == null) {
                throw SluiceException.notFound("catalog entry " + id);
            }
            if (e.archived) {
                throw new SluiceException(SluiceError.of(ErrorCode.CONFLICT, "catalog entry " + id + " is Retired (archived, read-only)"));
            }
            Outcome o = trust.verify(e.sourceRegistry, read(e.manifestJson), envelopes(e.signaturesJson),
                    e.sbomJson == null ? null : read(e.sbomJson));
            UUID run = UUID.randomUUID();
            CatalogModelEntity probe = new CatalogModelEntity();
            applyOutcome(probe, o, trust.policy(), run, now());
            return Panache.getSession().flatMap(s -> s.createNativeQuery("update catalog_models set verification_state = ?1,"
                                    + " verification_policy = ?2, verification_reason = ?3, verification_key_ids = ?4, verification_id = ?5,"
                                    + " verified_at = ?6, updated_at = ?6, row_version = row_version + 1 where id = ?7 and not archived")
                            .setParameter(1, probe.verificationState)
                            .setParameter(2, probe.verificationPolicy)
                            .setParameter(3, probe.verificationReason)
                            .setParameter(4, probe.verificationKeyIds)
                            .setParameter(5, run)
                            .setParameter(6, probe.verifiedAt)
                            .setParameter(7, uuid)
                            .executeUpdate())
                    .map(n -> {
                        if (n == 0) {
                            throw new SluiceException(SluiceError.of(ErrorCode.CONFLICT, "catalog entry " + id + " was retired concurrently"));
                        }
                        return new VerificationRun(run, uuid, probe.verificationState);
                    });
        }));
    }

    /** The catalog entry a pool is asked to load, verified again (CAT-3). */
    public record LoadTarget(UUID id, String name, String tag, String artifactDigest) {
        public String ref() {
            return name + ":" + tag;
        }
    }

    /**
     * Resolves a pool reload's {@code new_model_ref} ({@code name:tag} or entry id) and verifies the entry again, as
     * {@code POST .../verify} does: the run is recorded on the entry and counted (CAT-3 "verified again before a pool
     * loads"). Null when the ref names no catalog entry.
     *
     * @throws SluiceException {@code MODEL_DEPRECATED} for a Deprecated or Retired entry; {@code UNTRUSTED_ARTIFACT}
     *     when the verification fails under the strict policy
     */
    public Uni<LoadTarget> verifyForLoad(String ref) {
        UUID byId = null;
        String name = null;
        String tag = null;
        try {
            byId = UUID.fromString(ref);
        } catch (IllegalArgumentException notAnId) {
            int colon = ref.indexOf(':');
            if (colon <= 0 || colon == ref.length() - 1) {
                return Uni.createFrom().nullItem();
            }
            name = ref.substring(0, colon);
            tag = ref.substring(colon + 1);
        }
        UUID id = byId;
        String n = name;
        String t = tag;
        Uni<CatalogModelEntity> find = Panache.withSession(() -> id != null
                ? CatalogModelEntity.<CatalogModelEntity>findById(id)
                : CatalogModelEntity.<CatalogModelEntity>find("name = ?1 and tag = ?2", n, t).firstResult());
        return find.flatMap(e -> {
            if (e == null) {
                return Uni.createFrom().nullItem();
            }
            ModelState state = ModelState.parse(e.state);
            if (state == ModelState.Deprecated || state == ModelState.Retired) {
                throw new SluiceException(SluiceError.of(ErrorCode.MODEL_DEPRECATED, "model " + e.name + ":" + e.tag + " is " + state
                        + "; a pool may not load it").withField("new_model_ref"));
            }
            return verify(e.id.toString()).map(run -> {
                if (!"verified".equals(run.state()) && CatalogTrust.STRICT.equals(trust.policy())) {
                    throw new SluiceException(SluiceError.of(ErrorCode.UNTRUSTED_ARTIFACT, "model " + e.name + ":" + e.tag
                            + " did not verify again before the load (" + run.state() + ", verification " + run.verificationId()
                            + "); see the entry's verification").withField("new_model_ref"));
                }
                return new LoadTarget(e.id, e.name, e.tag, e.artifactDigest);
            });
        });
    }

    // ------------------------------------------------------------------------------------------ lifecycle

    /**
     * Applies a transition (LIFE-1): legal per {@link ModelState}'s table, and conditional on the row version read in
     * the same transaction, so of two concurrent changes of one entry exactly one applies and the other answers 409.
     */
    public Uni<ModelEntry> changeState(String id, String subject, StateChange change) {
        UUID uuid = modelId(id);
        if (change == null || change.state() == null) {
            throw SluiceException.invalid("state", "state is required");
        }
        ModelState to = ModelState.parse(change.state());
        if (to == null) {
            throw SluiceException.invalid("state", "state must be one of Draft, Active, Canary, Deprecated, Retired");
        }
        if (change.deadlineMs() != null && (change.deadlineMs() < 0 || change.deadlineMs() > 2_592_000_000L)) {
            throw SluiceException.invalid("deadline_ms", "deadline_ms must be between 0 and 2592000000");
        }
        if (change.reason() != null && change.reason().length() > 1024) {
            throw SluiceException.invalid("reason", "reason is at most 1024 characters");
        }
        OffsetDateTime now = now();
        OffsetDateTime deadline = change.deadlineMs() != null && (to == ModelState.Deprecated || to == ModelState.Retired)
                ? now.plus(change.deadlineMs(), ChronoUnit.MILLIS)
                : null;
        return Panache.withTransaction(() -> CatalogModelEntity.<CatalogModelEntity>findById(uuid).flatMap(e -> {
                    if (e == null) {
                        throw SluiceException.notFound("catalog entry " + id);
                    }
                    ModelState from = ModelState.parse(e.state);
                    Lifecycle.requireLegal(from, to);
                    long readVersion = e.rowVersion;
                    return Panache.getSession()
                            .flatMap(s -> s.createNativeQuery("update catalog_models set state = ?1, archived = ?2,"
                                            + " drain_deadline_at = coalesce(?3, drain_deadline_at), updated_at = ?4, row_version = row_version + 1"
                                            + " where id = ?5 and row_version = ?6")
                                    .setParameter(1, to.name())
                                    .setParameter(2, to == ModelState.Retired)
                                    .setParameter(3, deadline)
                                    .setParameter(4, now)
                                    .setParameter(5, uuid)
                                    .setParameter(6, readVersion)
                                    .executeUpdate())
                            .flatMap(n -> {
                                if (n == 0) {
                                    throw new SluiceException(SluiceError.of(ErrorCode.CONFLICT, "catalog entry " + id
                                                    + " changed concurrently (it is no longer " + from + " at version " + readVersion + "); read it and retry")
                                            .withField("state"));
                                }
                                return transition(uuid, from, to, now, subject, change.reason(), deadline).persist();
                            })
                            .flatMap(x -> to == ModelState.Deprecated ? recordContinuingSessions(uuid, e.name + ":" + e.tag)
                                    : Uni.createFrom().item(0))
                            .flatMap(x -> Panache.getSession().flatMap(s -> s.refresh(e)))
                            .flatMap(x -> transitions(uuid))
                            .map(h -> view(e, h));
                }))
                .call(runtime::refreshNow);
    }

    /**
     * LIFE-2 "existing sessions continue": in the transaction of the Deprecated transition, records the live sessions
     * that have tasks on the entry — asked for by {@code name:tag}, by entry id or through an alias targeting it (the
     * task's request), or served under {@code name:tag}. Admission lets exactly these sessions go on without an
     * override. One scan of the tasks table per deprecation, never per task.
     */
    private static Uni<Integer> recordContinuingSessions(UUID id, String ref) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("insert into catalog_continuing_sessions (model_id, session_id)"
                        + " select distinct cast(?1 as uuid), t.session_id from tasks t join sessions ss on ss.id = t.session_id"
                        + " where ss.deleted_at is null and ss.expires_at > now()"
                        + " and (t.model_ref = cast(?2 as text)"
                        + "   or (cast(t.request_json as jsonb) ->> 'model_ref') in (cast(?2 as text), cast(?3 as text))"
                        + "   or (cast(t.request_json as jsonb) ->> 'model_ref') in (select a.alias from catalog_aliases a"
                        + "       where cast(a.targets_json as jsonb) @> jsonb_build_array(jsonb_build_object('model_id', cast(?3 as text)))))"
                        + " on conflict do nothing")
                .setParameter(1, id)
                .setParameter(2, ref)
                .setParameter(3, id.toString())
                .executeUpdate());
    }

    // ------------------------------------------------------------------------------------------ aliases

    public Uni<Page<Alias>> aliases(String cursor, int limit) {
        String after = cursor == null ? "" : Cursors.decode(cursor, 1)[0];
        return Panache.withSession(() -> AliasEntity.<AliasEntity>find("alias > ?1 order by alias", after).range(0, limit).list())
                .map(rows -> {
                    boolean more = rows.size() > limit;
                    List<AliasEntity> page = more ? rows.subList(0, limit) : rows;
                    return new Page<>(page.stream().map(this::view).toList(), more ? Cursors.encode(page.get(page.size() - 1).alias) : null);
                });
    }

    public Uni<Alias> alias(String alias) {
        check("path.alias", alias, ALIAS);
        return Panache.withSession(() -> AliasEntity.<AliasEntity>findById(alias)).map(a -> {
            if (a == null) {
                throw SluiceException.notFound("alias " + alias);
            }
            return view(a);
        });
    }

    /** Sets a split (LIFE-3). The alias row is locked, so concurrent changes of one alias apply one after the other. */
    public Uni<AliasChanged> putAlias(String alias, String subject, AliasPut put) {
        check("path.alias", alias, ALIAS);
        List<AliasTarget> targets = validate(put);
        return Panache.withTransaction(() -> requireServable(targets, "targets")
                        .flatMap(v -> AliasEntity.<AliasEntity>findById(alias, LockModeType.PESSIMISTIC_WRITE))
                        .flatMap(a -> {
                            String next = write(targets);
                            if (a == null) {
                                AliasEntity created = new AliasEntity();
                                created.alias = alias;
                                created.targetsJson = next;
                                created.revision = 1;
                                created.updatedAt = now();
                                created.updatedBy = subject;
                                return created.persistAndFlush().flatMap(x -> history(created)).replaceWith(() -> new AliasChanged(view(created), true));
                            }
                            if (targetsOf(a.targetsJson).equals(targets)) {
                                return Uni.createFrom().item(new AliasChanged(view(a), false));
                            }
                            a.previousTargetsJson = a.targetsJson;
                            a.targetsJson = next;
                            a.revision++;
                            a.updatedAt = now();
                            a.updatedBy = subject;
                            return a.persistAndFlush().flatMap(x -> history(a)).replaceWith(() -> new AliasChanged(view(a), false));
                        }))
                .call(runtime::refreshNow);
    }

    /** Restores the previous split in one call; a second rollback undoes the first (LIFE-3). */
    public Uni<Alias> rollback(String alias, String subject) {
        check("path.alias", alias, ALIAS);
        return Panache.withTransaction(() -> AliasEntity.<AliasEntity>findById(alias, LockModeType.PESSIMISTIC_WRITE).flatMap(a -> {
                    if (a == null) {
                        throw SluiceException.notFound("alias " + alias);
                    }
                    if (a.previousTargetsJson == null) {
                        throw new SluiceException(SluiceError.of(ErrorCode.CONFLICT, "alias " + alias + " has no previous split to roll back to"));
                    }
                    List<AliasTarget> previous = targetsOf(a.previousTargetsJson);
                    return requireServable(previous, "previous_targets").flatMap(v -> {
                        String current = a.targetsJson;
                        a.targetsJson = a.previousTargetsJson;
                        a.previousTargetsJson = current;
                        a.revision++;
                        a.updatedAt = now();
                        a.updatedBy = subject;
                        return a.persistAndFlush().flatMap(x -> history(a)).replaceWith(() -> view(a));
                    });
                }))
                .call(runtime::refreshNow);
    }

    private static List<AliasTarget> validate(AliasPut put) {
        if (put == null || put.targets() == null || put.targets().isEmpty() || put.targets().size() > 10) {
            throw SluiceException.invalid("targets", "targets must hold 1 to 10 entries");
        }
        int sum = 0;
        Set<UUID> seen = new HashSet<>();
        for (int i = 0; i < put.targets().size(); i++) {
            AliasTarget t = put.targets().get(i);
            if (t == null || t.modelId() == null) {
                throw SluiceException.invalid("targets[" + i + "].model_id", "model_id is required");
            }
            if (t.percent() == null || t.percent() < 0 || t.percent() > 100) {
                throw SluiceException.invalid("targets[" + i + "].percent", "percent must be between 0 and 100");
            }
            if (!seen.add(t.modelId())) {
                throw SluiceException.invalid("targets[" + i + "].model_id", "each model_id appears once");
            }
            sum += t.percent();
        }
        if (sum != 100) {
            throw SluiceException.invalid("targets", "percent values sum to " + sum + ", not 100");
        }
        return List.copyOf(put.targets());
    }

    /** Every target must exist (404 naming it) and be Active or Canary (409). */
    private static Uni<Void> requireServable(List<AliasTarget> targets, String field) {
        List<UUID> ids = targets.stream().map(AliasTarget::modelId).toList();
        return CatalogModelEntity.<CatalogModelEntity>find("id in ?1", ids).list().map(found -> {
            for (int i = 0; i < targets.size(); i++) {
                UUID id = targets.get(i).modelId();
                CatalogModelEntity e = found.stream().filter(m -> m.id.equals(id)).findFirst().orElse(null);
                if (e == null) {
                    throw new SluiceException(SluiceError.of(ErrorCode.NOT_FOUND, "catalog entry " + id + " does not exist")
                            .withField(field + "[" + i + "].model_id"));
                }
                if (!ModelState.parse(e.state).aliasTarget()) {
                    throw new SluiceException(SluiceError.of(ErrorCode.CONFLICT, "catalog entry " + id + " is " + e.state
                                    + "; an alias may only point at Active or Canary entries")
                            .withField(field + "[" + i + "].model_id"));
                }
            }
            return null;
        });
    }

    private static Uni<Void> history(AliasEntity a) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery(
                                "insert into catalog_alias_history (alias, revision, targets_json, at, actor) values (?1, ?2, ?3, ?4, ?5)")
                        .setParameter(1, a.alias)
                        .setParameter(2, a.revision)
                        .setParameter(3, a.targetsJson)
                        .setParameter(4, a.updatedAt)
                        .setParameter(5, a.updatedBy)
                        .executeUpdate())
                .replaceWithVoid();
    }

    // ------------------------------------------------------------------------------------------ views

    private static Uni<List<TransitionEntity>> transitions(UUID modelId) {
        return TransitionEntity.<TransitionEntity>find("modelId = ?1 order by id", modelId).list();
    }

    private static Uni<Map<UUID, List<TransitionEntity>>> allTransitions(List<UUID> ids) {
        if (ids.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        return TransitionEntity.<TransitionEntity>find("modelId in ?1 order by id", ids).list().map(rows -> {
            Map<UUID, List<TransitionEntity>> out = new java.util.HashMap<>();
            for (TransitionEntity t : rows) {
                out.computeIfAbsent(t.modelId, k -> new ArrayList<>()).add(t);
            }
            return out;
        });
    }

    private ModelEntry view(CatalogModelEntity e, List<TransitionEntity> history) {
        Verification v = new Verification(e.verificationState, e.verificationPolicy, e.verificationReason, utc(e.verifiedAt),
                readList(e.verificationKeyIds), e.verificationId);
        return new ModelEntry(e.id, e.name, e.tag, e.sourceRegistry, e.artifactDigest, read(e.manifestJson), envelopes(e.signaturesJson),
                e.sbomJson == null ? null : read(e.sbomJson), v, e.state, e.archived, utc(e.createdAt), e.createdBy, utc(e.updatedAt),
                history.stream().map(CatalogService::view).toList());
    }

    private static Transition view(TransitionEntity t) {
        return new Transition(t.fromState, t.toState, utc(t.at), t.actor, t.reason, utc(t.deadlineAt));
    }

    private Alias view(AliasEntity a) {
        return new Alias(a.alias, targetsOf(a.targetsJson), a.revision, utc(a.updatedAt), a.updatedBy,
                a.previousTargetsJson == null ? null : targetsOf(a.previousTargetsJson));
    }

    private static TransitionEntity transition(UUID modelId, ModelState from, ModelState to, OffsetDateTime at, String actor, String reason,
            OffsetDateTime deadline) {
        TransitionEntity t = new TransitionEntity();
        t.modelId = modelId;
        t.fromState = from == null ? null : from.name();
        t.toState = to.name();
        t.at = at;
        t.actor = actor == null ? "unknown" : actor;
        t.reason = reason;
        t.deadlineAt = deadline;
        return t;
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static UUID modelId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw SluiceException.invalid("path.model_id", "model_id must be a UUID");
        }
    }

    private static OffsetDateTime now() {
        // Stored with microsecond precision, as PostgreSQL keeps it: live and stored answers agree.
        return OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    }

    private static OffsetDateTime utc(OffsetDateTime t) {
        return t == null ? null : t.withOffsetSameInstant(ZoneOffset.UTC);
    }

    private static boolean uniqueViolation(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof io.vertx.pgclient.PgException pg && "23505".equals(pg.getSqlState())) {
                return true;
            }
        }
        return false;
    }

    private String write(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String writeStatic(Object o) {
        try {
            return new ObjectMapper().writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode read(String s) {
        try {
            return json.readTree(s);
        } catch (Exception e) {
            throw new IllegalStateException("corrupt JSON in the catalog", e);
        }
    }

    private List<DsseEnvelope> envelopes(String s) {
        try {
            return json.readValue(s, new TypeReference<List<DsseEnvelope>>() {});
        } catch (Exception e) {
            throw new IllegalStateException("corrupt signatures in the catalog", e);
        }
    }

    private List<AliasTarget> targetsOf(String s) {
        try {
            return json.readValue(s, new TypeReference<List<AliasTarget>>() {});
        } catch (Exception e) {
            throw new IllegalStateException("corrupt alias targets in the catalog", e);
        }
    }

    private static List<String> readList(String s) {
        try {
            return new ObjectMapper().readValue(s, new TypeReference<List<String>>() {});
        } catch (Exception e) {
            throw new IllegalStateException("corrupt key ids in the catalog", e);
        }
    }

    /** Opaque page cursors: base64url of the position's parts. */
    static final class Cursors {
        private Cursors() {}

        static String encode(String... parts) {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(String.join("\u0000", parts).getBytes(StandardCharsets.UTF_8));
        }

        static String[] decode(String cursor, int parts) {
            try {
                String[] out = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\u0000", -1);
                if (out.length != parts) {
                    throw new IllegalArgumentException();
                }
                if (parts == 3) {
                    UUID.fromString(out[2]);
                }
                return out;
            } catch (IllegalArgumentException e) {
                throw SluiceException.invalid("cursor", "cursor is not one this server issued");
            }
        }
    }
}
