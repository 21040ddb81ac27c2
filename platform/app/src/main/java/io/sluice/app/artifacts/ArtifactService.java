package io.sluice.app.artifacts;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.sluice.app.artifacts.ArtifactDtos.Artifact;
import io.sluice.app.artifacts.ArtifactDtos.ArtifactCreate;
import io.sluice.app.tenancy.store.TenantRepository;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Pattern;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * The tenants' content-addressed artifact store (CAT-4). An id is {@code sha256:} + hex SHA-256 of the RFC 8785
 * (JCS) canonical JSON of {@code {kind, content, tags, lineage}}, so identical artifacts share an id and a client can
 * compute it in advance. Everything is tenant-scoped: another tenant's artifact does not exist for the caller
 * (SEC-3), neither to read nor as a lineage parent. Artifacts are immutable; a refused request stores nothing.
 */
@ApplicationScoped
public class ArtifactService {
    private static final Pattern KIND = Pattern.compile("^[a-z0-9][a-z0-9._-]{0,63}$");
    private static final Pattern DIGEST = Pattern.compile("^sha256:[0-9a-f]{64}$");

    @Inject
    ObjectMapper json;

    @Inject
    TenantRepository tenants;

    /** A store's answer: the artifact, and whether it was created now (201) or already there (200). */
    public record Stored(Artifact artifact, boolean created) {}

    public Uni<Stored> store(String tenant, ArtifactCreate in) {
        validate(in);
        List<String> tags = in.tags() == null ? List.of() : in.tags();
        List<String> lineage = in.lineage() == null ? List.of() : in.lineage();
        ObjectNode whole = json.createObjectNode();
        whole.put("kind", in.kind());
        whole.set("content", in.content());
        whole.set("tags", json.valueToTree(tags));
        whole.set("lineage", json.valueToTree(lineage));
        byte[] canonical = canonical(whole);
        String id = "sha256:" + sha256(canonical);
        String canonicalText = new String(canonical, StandardCharsets.UTF_8);
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
        return Panache.withTransaction(() -> find(tenant, id).flatMap(existing -> {
            if (existing != null) {
                return Uni.createFrom().item(new Stored(existing, false));
            }
            return tenants.ensureExists(tenant)
                    .flatMap(v -> parentsPresent(tenant, lineage))
                    .flatMap(v -> exec("insert into artifacts (tenant_id, id, kind, canonical_json, content_json, tags_json, size_bytes, created_at)"
                                    + " values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                            tenant, id, in.kind(), canonicalText, write(in.content()), write(tags), (long) canonical.length, now))
                    .flatMap(v -> {
                        Uni<Void> chain = Uni.createFrom().voidItem();
                        for (int i = 0; i < lineage.size(); i++) {
                            int pos = i;
                            chain = chain.flatMap(x -> exec("insert into artifact_lineage (tenant_id, child_id, position, parent_id)"
                                    + " values (?1, ?2, ?3, ?4)", tenant, id, pos, lineage.get(pos)));
                        }
                        for (String tag : new LinkedHashSet<>(tags)) {
                            chain = chain.flatMap(x -> exec("insert into artifact_tags (tenant_id, artifact_id, tag) values (?1, ?2, ?3)",
                                    tenant, id, tag));
                        }
                        return chain;
                    })
                    .replaceWith(() -> new Stored(new Artifact(id, in.kind(), in.content(), tags, lineage, canonical.length, now), true));
        }));
    }

    public Uni<Artifact> get(String tenant, String id) {
        if (id == null || !DIGEST.matcher(id).matches()) {
            throw SluiceException.invalid("path.artifact_id", "artifact_id must match " + DIGEST.pattern());
        }
        return Panache.withSession(() -> find(tenant, id)).map(a -> {
            if (a == null) {
                throw SluiceException.notFound("artifact " + id);
            }
            return a;
        });
    }

    private Uni<Artifact> find(String tenant, String id) {
        return Panache.getSession().flatMap(s -> s.createNativeQuery("select a.kind, a.content_json, a.tags_json, a.size_bytes, a.created_at,"
                                + " coalesce((select string_agg(l.parent_id, ',' order by l.position) from artifact_lineage l"
                                + " where l.tenant_id = a.tenant_id and l.child_id = a.id), '')"
                                + " from artifacts a where a.tenant_id = ?1 and a.id = ?2", Object[].class)
                        .setParameter(1, tenant)
                        .setParameter(2, id)
                        .getResultList())
                .map(rows -> {
                    if (rows.isEmpty()) {
                        return null;
                    }
                    Object[] r = rows.get(0);
                    String parents = (String) r[5];
                    OffsetDateTime created = r[4] instanceof OffsetDateTime o ? o : ((java.time.Instant) r[4]).atOffset(ZoneOffset.UTC);
                    return new Artifact(id, (String) r[0], read((String) r[1]), readList((String) r[2]),
                            parents.isEmpty() ? List.of() : List.of(parents.split(",")), ((Number) r[3]).longValue(),
                            created.withOffsetSameInstant(ZoneOffset.UTC));
                });
    }

    /** Every lineage parent must be an artifact of this tenant: else 404 naming it, as if it did not exist (SEC-3). */
    private static Uni<Void> parentsPresent(String tenant, List<String> lineage) {
        if (lineage.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Panache.getSession().flatMap(s -> s.createNativeQuery("select id from artifacts where tenant_id = ?1 and id = any(?2)", String.class)
                        .setParameter(1, tenant)
                        .setParameter(2, lineage.toArray(String[]::new))
                        .getResultList())
                .map(found -> {
                    for (int i = 0; i < lineage.size(); i++) {
                        if (!found.contains(lineage.get(i))) {
                            throw new SluiceException(SluiceError.of(ErrorCode.NOT_FOUND, "artifact " + lineage.get(i) + " not found")
                                    .withField("lineage[" + i + "]"));
                        }
                    }
                    return null;
                });
    }

    private static Uni<Void> exec(String sql, Object... args) {
        return Panache.getSession().flatMap(s -> {
            var q = s.createNativeQuery(sql);
            for (int i = 0; i < args.length; i++) {
                q.setParameter(i + 1, args[i]);
            }
            return q.executeUpdate();
        }).replaceWithVoid();
    }

    private static void validate(ArtifactCreate in) {
        if (in == null) {
            throw SluiceException.invalid("body", "an ArtifactCreate body is required");
        }
        if (in.kind() == null || !KIND.matcher(in.kind()).matches()) {
            throw SluiceException.invalid("kind", "kind must match " + KIND.pattern());
        }
        if (in.content() == null || in.content().isMissingNode()) {
            throw SluiceException.invalid("content", "content is required");
        }
        if (in.tags() != null) {
            if (in.tags().size() > 32) {
                throw SluiceException.invalid("tags", "at most 32 tags");
            }
            for (int i = 0; i < in.tags().size(); i++) {
                String t = in.tags().get(i);
                if (t == null || t.isEmpty() || t.length() > 128) {
                    throw SluiceException.invalid("tags[" + i + "]", "a tag is 1 to 128 characters");
                }
            }
        }
        if (in.lineage() != null) {
            if (in.lineage().size() > 64) {
                throw SluiceException.invalid("lineage", "at most 64 lineage ids");
            }
            for (int i = 0; i < in.lineage().size(); i++) {
                String l = in.lineage().get(i);
                if (l == null || !DIGEST.matcher(l).matches()) {
                    throw SluiceException.invalid("lineage[" + i + "]", "a lineage id must match " + DIGEST.pattern());
                }
            }
        }
    }

    /** RFC 8785 canonical form, by a library implementing it (numbers as ECMAScript renders doubles, keys by UTF-16). */
    static byte[] canonical(JsonNode node) {
        try {
            return new JsonCanonicalizer(node.toString()).getEncodedUTF8();
        } catch (java.io.IOException e) {
            throw SluiceException.invalid("content", "content cannot be canonicalized: " + e.getMessage());
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private String write(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode read(String s) {
        try {
            return json.readTree(s);
        } catch (Exception e) {
            throw new IllegalStateException("corrupt artifact content", e);
        }
    }

    private List<String> readList(String s) {
        try {
            return json.readValue(s, new TypeReference<List<String>>() {});
        } catch (Exception e) {
            throw new IllegalStateException("corrupt artifact tags", e);
        }
    }
}
