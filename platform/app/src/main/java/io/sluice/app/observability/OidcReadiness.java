package io.sluice.app.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sluice.app.config.SluiceAppConfig;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;
import org.jboss.logging.Logger;

/**
 * Readiness reflects the OIDC provider (OBS-3, ADR 0014): its discovery document and the JWKS it names are fetched in
 * the background every {@code sluice.observability.oidc-check-interval-ms}; the probe only reads the last result, so
 * probes never reach the provider (a load balancer probing every second costs the provider nothing). The check
 * starts DOWN until the first fetch answered, and follows the provider both ways without a restart.
 */
@Readiness
@ApplicationScoped
public class OidcReadiness implements HealthCheck {
    private static final Logger LOG = Logger.getLogger(OidcReadiness.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    @Inject
    SluiceAppConfig config;

    @Inject
    Vertx vertx;

    @ConfigProperty(name = "quarkus.oidc.auth-server-url")
    Optional<String> authServerUrl;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();
    private final AtomicBoolean checking = new AtomicBoolean();
    private volatile Result last = new Result(false, "not checked yet", null);
    private long timer = -1;

    /** What the last background check found. */
    private record Result(boolean reachable, String detail, Instant at) {}

    void start(@Observes StartupEvent ev) {
        check();
        timer = vertx.setPeriodic(Math.max(100, config.observability().oidcCheckIntervalMs()), t -> check());
    }

    void stop(@Observes ShutdownEvent ev) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    @Override
    public HealthCheckResponse call() {
        Result r = last;
        HealthCheckResponseBuilder b = HealthCheckResponse.named("oidc").withData("reachable", r.reachable()).withData("detail", r.detail());
        if (r.at() != null) {
            b.withData("checked_at", r.at().toString());
        }
        return b.status(r.reachable() || !config.observability().oidcAffectsReadiness()).build();
    }

    /** One background check; a check still running (a provider that hangs) is not overlapped by the next. */
    private void check() {
        if (authServerUrl.isEmpty() || !checking.compareAndSet(false, true)) {
            return;
        }
        String base = authServerUrl.get().replaceAll("/+$", "");
        get(base + "/.well-known/openid-configuration")
                .thenCompose(body -> {
                    String jwks = tree(body).path("jwks_uri").asText("");
                    if (jwks.isEmpty()) {
                        throw new IllegalStateException("the discovery document names no jwks_uri");
                    }
                    return get(jwks);
                })
                .thenApply(body -> {
                    JsonNode keys = tree(body).path("keys");
                    if (!keys.isArray() || keys.isEmpty()) {
                        throw new IllegalStateException("the JWKS holds no keys");
                    }
                    return new Result(true, "discovery and JWKS answered", Instant.now());
                })
                .exceptionally(e -> new Result(false, describe(e), Instant.now()))
                .thenAccept(r -> {
                    if (r.reachable() != last.reachable()) {
                        if (r.reachable()) {
                            LOG.infof("OIDC provider reachable again: %s", r.detail());
                        } else {
                            LOG.warnf("OIDC provider unreachable: %s", r.detail());
                        }
                    }
                    last = r;
                    checking.set(false);
                });
    }

    private CompletableFuture<String> get(String url) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).header("Accept", "application/json").GET().build();
        return http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).thenApply(resp -> {
            if (resp.statusCode() != 200) {
                throw new IllegalStateException(url + " answered " + resp.statusCode());
            }
            return resp.body();
        });
    }

    private static JsonNode tree(String body) {
        try {
            return JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the answer is not JSON", e);
        }
    }

    private static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && (t instanceof java.util.concurrent.CompletionException || t.getMessage() == null)) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
