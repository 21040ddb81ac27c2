package io.sluice.app.tenancy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.app.security.Caller;
import io.sluice.app.tenancy.TenantDtos.Tenant;
import io.sluice.app.tenancy.TenantDtos.TenantIdentity;
import io.sluice.app.tenancy.TenantDtos.TenantIdentityList;
import io.sluice.app.tenancy.TenantDtos.TenantIdentityPut;
import io.sluice.app.tenancy.TenantDtos.TenantPage;
import io.sluice.app.tenancy.TenantDtos.TenantPut;
import io.sluice.app.tenancy.TenantDtos.TenantQuotas;
import io.sluice.app.tenancy.TenantDtos.TenantQuotasPut;
import io.sluice.core.error.SluiceException;
import io.sluice.core.quota.QuotaLimits;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * The tenant control plane (SCH-3, admin role only): tenants, their quotas and identity mappings. Every change is one
 * statement in PostgreSQL; the answer is sent once this instance serves the change, and the change feed carries it to
 * every other instance within the second. Invalid input is refused with a typed 400 before anything is written.
 */
@Path("/v1/tenants")
@RolesAllowed(Caller.ADMIN)
@Produces(MediaType.APPLICATION_JSON)
public class TenantResource {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TENANT_ID = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$");
    private static final Pattern CLAIM_VALUE = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$");
    static final double MAX_WEIGHT = 1000;
    static final int MAX_CONCURRENT = 100_000;
    static final int MAX_QUEUED = 1_000_000;
    static final int MAX_RATE = 1_000_000;
    static final long MAX_TOKENS_PER_MINUTE = 1_000_000_000_000L;

    @Inject
    TenancyStore store;

    @Inject
    TenantDirectory directory;

    @GET
    public CompletionStage<TenantPage> list(@QueryParam("limit") String limit, @QueryParam("cursor") String cursor) {
        int n = parseLimit(limit);
        String after = cursor == null ? null : decodeCursor(cursor);
        return store.list(after, n + 1).thenApply(rows -> {
            boolean more = rows.size() > n;
            List<TenancyStore.TenantRow> page = more ? rows.subList(0, n) : rows;
            List<Tenant> items = new ArrayList<>(page.size());
            for (TenancyStore.TenantRow r : page) {
                items.add(view(r));
            }
            String next = more ? Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(page.get(page.size() - 1).id().getBytes(StandardCharsets.UTF_8)) : null;
            return new TenantPage(items, next);
        });
    }

    @GET
    @Path("{tenant_id}")
    public CompletionStage<Tenant> get(@PathParam("tenant_id") String tenantId) {
        requireTenantId(tenantId);
        return store.find(tenantId).thenApply(t -> view(t.orElseThrow(() -> SluiceException.notFound("tenant " + tenantId))));
    }

    @PUT
    @Path("{tenant_id}")
    @Consumes(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> put(@PathParam("tenant_id") String tenantId, TenantPut body) {
        requireTenantId(tenantId);
        java.util.concurrent.Executor back = requestContext();
        if (body == null) {
            throw SluiceException.invalid("body", "a TenantPut JSON object is required");
        }
        double weight = body.weight() == null ? 1.0 : body.weight();
        if (!(weight > 0) || weight > MAX_WEIGHT || Double.isNaN(weight)) {
            throw SluiceException.invalid("weight", "weight must be greater than 0 and at most " + (int) MAX_WEIGHT);
        }
        if (body.displayName() != null && (body.displayName().isEmpty() || body.displayName().length() > 128)) {
            throw SluiceException.invalid("display_name", "display_name must be 1 to 128 characters");
        }
        if (body.tier() != null && (body.tier().isEmpty() || body.tier().length() > 64)) {
            throw SluiceException.invalid("tier", "tier must be 1 to 64 characters");
        }
        Map<String, String> labels = body.labels() == null ? Map.of() : body.labels();
        if (labels.size() > 16) {
            throw SluiceException.invalid("labels", "at most 16 labels");
        }
        for (Map.Entry<String, String> l : labels.entrySet()) {
            if (l.getKey().isEmpty() || l.getKey().length() > 128 || l.getValue() == null || l.getValue().length() > 128) {
                throw SluiceException.invalid("labels", "label keys must be 1 to 128 characters and values at most 128");
            }
        }
        String labelsJson;
        try {
            labelsJson = JSON.writeValueAsString(labels);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return store.put(tenantId, body.displayName(), weight, body.tier(), labelsJson, Boolean.TRUE.equals(body.mayOverride()),
                        Boolean.TRUE.equals(body.disabled()), Boolean.TRUE.equals(body.cancelOnDisconnect()))
                .thenCompose(r -> appliedHere(r, back))
                .thenApply(r -> r.created()
                        ? Response.status(201).header("Location", "/v1/tenants/" + tenantId).entity(view(r.tenant())).build()
                        : Response.ok(view(r.tenant())).build());
    }

    @GET
    @Path("{tenant_id}/quotas")
    public CompletionStage<TenantQuotas> getQuotas(@PathParam("tenant_id") String tenantId) {
        requireTenantId(tenantId);
        return store.quotas(tenantId).thenApply(q -> view(q.orElseThrow(() -> SluiceException.notFound("tenant " + tenantId))));
    }

    @PUT
    @Path("{tenant_id}/quotas")
    @Consumes(MediaType.APPLICATION_JSON)
    public CompletionStage<TenantQuotas> putQuotas(@PathParam("tenant_id") String tenantId, TenantQuotasPut body) {
        requireTenantId(tenantId);
        java.util.concurrent.Executor back = requestContext();
        if (body == null) {
            throw SluiceException.invalid("body", "a TenantQuotasPut JSON object is required");
        }
        within("max_concurrent", body.maxConcurrent(), MAX_CONCURRENT);
        within("max_queued", body.maxQueued(), MAX_QUEUED);
        within("rps", body.rps(), MAX_RATE);
        within("burst", body.burst(), MAX_RATE);
        if (body.tokensPerMinute() != null && (body.tokensPerMinute() < 0 || body.tokensPerMinute() > MAX_TOKENS_PER_MINUTE)) {
            throw SluiceException.invalid("tokens_per_minute", "tokens_per_minute must be from 0 to " + MAX_TOKENS_PER_MINUTE);
        }
        if (body.burst() != null && body.rps() == null) {
            throw SluiceException.invalid("burst", "burst sizes the rps token bucket and needs rps");
        }
        if (body.burst() != null && body.rps() != null && body.rps() > 0 && body.burst() == 0) {
            throw SluiceException.invalid("burst", "a burst of 0 would refuse every task although rps allows some");
        }
        QuotaLimits limits = new QuotaLimits(body.maxConcurrent(), body.maxQueued(), body.rps(), body.burst(), body.tokensPerMinute());
        return store.putQuotas(tenantId, limits)
                .thenCompose(q -> appliedHere(q, back))
                .thenApply(q -> view(q.orElseThrow(() -> SluiceException.notFound("tenant " + tenantId))));
    }

    @GET
    @Path("{tenant_id}/identities")
    public CompletionStage<TenantIdentityList> identities(@PathParam("tenant_id") String tenantId) {
        requireTenantId(tenantId);
        return store.find(tenantId).thenCompose(t -> {
            if (t.isEmpty()) {
                throw SluiceException.notFound("tenant " + tenantId);
            }
            return store.identities(tenantId);
        }).thenApply(rows -> new TenantIdentityList(rows.stream().map(TenantResource::view).toList()));
    }

    @POST
    @Path("{tenant_id}/identities")
    @Consumes(MediaType.APPLICATION_JSON)
    public CompletionStage<Response> mapIdentity(@PathParam("tenant_id") String tenantId, TenantIdentityPut body) {
        requireTenantId(tenantId);
        java.util.concurrent.Executor back = requestContext();
        if (body == null || body.issuer() == null || body.issuer().isEmpty() || body.issuer().length() > 512) {
            throw SluiceException.invalid("issuer", "issuer must be 1 to 512 characters");
        }
        if (body.claimValue() == null || !CLAIM_VALUE.matcher(body.claimValue()).matches()) {
            throw SluiceException.invalid("claim_value", "claim_value must match " + CLAIM_VALUE.pattern());
        }
        return store.mapIdentity(tenantId, body.issuer(), body.claimValue())
                .thenCompose(m -> appliedHere(m, back))
                .thenApply(m -> {
                    var e = m.orElseThrow(() -> SluiceException.notFound("tenant " + tenantId));
                    TenantIdentity view = view(e.getKey());
                    return e.getValue()
                            ? Response.status(201).header("Location", "/v1/tenants/" + tenantId + "/identities").entity(view).build()
                            : Response.ok(view).build();
                });
    }

    // ------------------------------------------------------------------------------------------ helpers

    /**
     * Completes with {@code value} once this instance serves the change, back on the request's Vert.x context: the
     * reload completes on the tenancy thread, where the request (its correlation id, its error mapping) is not active.
     */
    private <T> CompletionStage<T> appliedHere(T value, java.util.concurrent.Executor back) {
        return directory.reload().thenApplyAsync(v -> value, back);
    }

    /** Runs work on the calling request's Vert.x context. */
    private static java.util.concurrent.Executor requestContext() {
        io.vertx.core.Context ctx = io.vertx.core.Vertx.currentContext();
        return ctx == null ? Runnable::run : command -> ctx.runOnContext(v -> command.run());
    }

    private static void within(String field, Integer v, int max) {
        if (v != null && (v < 0 || v > max)) {
            throw SluiceException.invalid(field, field + " must be from 0 to " + max + ", or null for unlimited");
        }
    }

    private static void requireTenantId(String id) {
        if (id == null || !TENANT_ID.matcher(id).matches()) {
            throw SluiceException.invalid("tenant_id", "tenant_id must match " + TENANT_ID.pattern());
        }
    }

    private static int parseLimit(String limit) {
        if (limit == null) {
            return 50;
        }
        try {
            int n = Integer.parseInt(limit);
            if (n >= 1 && n <= 500) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw SluiceException.invalid("query.limit", "limit must be an integer from 1 to 500");
    }

    private static String decodeCursor(String cursor) {
        try {
            String id = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (TENANT_ID.matcher(id).matches()) {
                return id;
            }
        } catch (IllegalArgumentException e) {
            // answered below
        }
        throw SluiceException.invalid("query.cursor", "cursor is not a next_cursor of this listing");
    }

    private static Tenant view(TenancyStore.TenantRow r) {
        Map<String, String> labels;
        try {
            labels = JSON.readValue(r.labelsJson(), new TypeReference<Map<String, String>>() {});
        } catch (JsonProcessingException e) {
            labels = Map.of();
        }
        return new Tenant(r.id(), r.displayName(), r.weight(), r.tier(), labels, r.mayOverride(), r.disabled(), r.cancelOnDisconnect(), r.disabledAt(),
                r.createdAt(), r.updatedAt());
    }

    private static TenantQuotas view(TenancyStore.QuotaRow q) {
        QuotaLimits l = q.limits();
        return new TenantQuotas(q.tenantId(), l.maxConcurrent(), l.maxQueued(), l.rps(), l.effectiveBurst(), l.tokensPerMinute(),
                q.updatedAt());
    }

    private static TenantIdentity view(TenancyStore.IdentityRow i) {
        return new TenantIdentity(i.tenantId(), i.issuer(), i.claimValue(), i.createdAt());
    }
}
