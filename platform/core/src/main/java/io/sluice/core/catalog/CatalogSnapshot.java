package io.sluice.core.catalog;

import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.task.TaskSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * What admission knows of the catalog: every entry's lifecycle state and every alias split, held in memory and
 * replaced whole on refresh, so resolving a model never waits for the database (ADR 0011).
 *
 * <p>A {@code model_ref} is resolved in the contract's order: an alias, then {@code name:tag}, then an entry id. A
 * ref that names no catalog entry passes through untouched: pools keep serving the names their YAML gives them, so
 * a deployment without catalog entries behaves as before the catalog existed. Immutable and thread-safe.
 */
public final class CatalogSnapshot {
    /** An entry as admission sees it. */
    public record Model(UUID id, String name, String tag, ModelState state) {
        String ref() {
            return name + ":" + tag;
        }
    }

    public static final CatalogSnapshot EMPTY = new CatalogSnapshot(List.of(), Map.of(), Set.of());

    private final Map<UUID, Model> byId = new HashMap<>();
    private final Map<String, Model> byRef = new HashMap<>();
    private final Map<String, List<CanarySplit.Target>> aliases;
    private final Set<String> mayOverride;
    private final Map<UUID, Set<UUID>> continuing;

    public CatalogSnapshot(List<Model> models, Map<String, List<CanarySplit.Target>> aliases, Set<String> tenantsMayOverride) {
        this(models, aliases, tenantsMayOverride, Map.of());
    }

    /**
     * @param continuingSessions per Deprecated entry, the sessions that had tasks on it when it was deprecated: they
     *     continue without an override (LIFE-2)
     */
    public CatalogSnapshot(List<Model> models, Map<String, List<CanarySplit.Target>> aliases, Set<String> tenantsMayOverride,
            Map<UUID, Set<UUID>> continuingSessions) {
        this.continuing = Map.copyOf(continuingSessions);
        for (Model m : models) {
            byId.put(m.id(), m);
            byRef.put(m.ref(), m);
        }
        this.aliases = Map.copyOf(aliases);
        this.mayOverride = Set.copyOf(tenantsMayOverride);
    }

    public int models() {
        return byId.size();
    }

    /** Every {@code name:tag} and alias this snapshot knows, in any state (listings filter them through {@link #resolve}). */
    public Set<String> refs() {
        Set<String> all = new java.util.TreeSet<>(byRef.keySet());
        all.addAll(aliases.keySet());
        return all;
    }

    /**
     * The entry a {@code model_ref} names, in the order {@link #resolve} uses (an alias picks its target by session as
     * there; without a session, the target with the largest share), whatever the entry's state: null when the ref names
     * none. Lets the facade read what the entry declares
     * (its chat template, ADR 0037) before the task is submitted; admission still judges the entry's lifecycle.
     */
    public UUID entryId(String ref, UUID sessionId) {
        List<CanarySplit.Target> split = aliases.get(ref);
        if (split != null && !split.isEmpty()) {
            if (sessionId == null) {
                CanarySplit.Target most = split.get(0);
                for (CanarySplit.Target t : split) {
                    most = t.percent() > most.percent() ? t : most;
                }
                return most.modelId();
            }
            return CanarySplit.pick(ref, sessionId, split);
        }
        Model model = byRef.get(ref);
        if (model == null && ref.length() == 36) {
            try {
                model = byId.get(UUID.fromString(ref));
            } catch (IllegalArgumentException notAnId) {
                model = null;
            }
        }
        return model == null ? null : model.id();
    }

    /**
     * The task with its {@code model_ref} replaced by the model name pools serve, or the task unchanged when the ref
     * is not in the catalog. {@code served} tells whether some pool serves a model name: an entry is served under
     * {@code name:tag} when a pool names that, else under {@code name}.
     *
     * @throws SluiceException {@code MODEL_DEPRECATED} for a Retired entry, or a Deprecated one without a permitted
     *     override unless the task's session is one that continues on it; {@code NOT_FOUND} for an entry not (yet) serving (Draft)
     */
    public TaskSpec resolve(TaskSpec spec, Predicate<String> served) {
        String ref = spec.modelRef();
        Model model;
        List<CanarySplit.Target> split = aliases.get(ref);
        if (split != null && !split.isEmpty()) {
            model = byId.get(CanarySplit.pick(ref, spec.sessionId(), split));
        } else {
            model = byRef.get(ref);
            if (model == null && ref.length() == 36) {
                try {
                    model = byId.get(UUID.fromString(ref));
                } catch (IllegalArgumentException notAnId) {
                    model = null;
                }
            }
            if (model == null) {
                return spec;
            }
        }
        if (model == null) {
            throw refusal(ErrorCode.NOT_FOUND, "alias '" + ref + "' points at an entry that is no longer in the catalog");
        }
        switch (model.state()) {
            case Retired -> throw refusal(ErrorCode.MODEL_DEPRECATED, "model " + model.ref() + " is Retired");
            case Deprecated -> {
                boolean existingSession = continuing.getOrDefault(model.id(), Set.of()).contains(spec.sessionId());
                if (!existingSession && (!spec.override() || !mayOverride.contains(spec.tenantId()))) {
                    throw refusal(ErrorCode.MODEL_DEPRECATED, "model " + model.ref() + " is Deprecated"
                            + (spec.override() ? " and this tenant may not override" : "; set override (if the tenant may) or move on"));
                }
            }
            case Draft -> throw refusal(ErrorCode.NOT_FOUND, "model " + model.ref() + " is not serving yet (Draft)");
            default -> {}
        }
        String servedAs = served.test(model.ref()) ? model.ref() : model.name();
        return spec.withModelRef(servedAs);
    }

    private static SluiceException refusal(ErrorCode code, String message) {
        return new SluiceException(SluiceError.of(code, message).withField("model_ref").withStage(AdmissionStage.RESOLVE_MODEL));
    }
}
