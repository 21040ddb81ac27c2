package io.sluice.app.cluster;

import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Reaches the instance that runs a task (REL-5): status, cancel and the event stream of a task are answered by its
 * owner, which holds it live; any instance forwards such requests with the caller's own credentials, so the owner
 * applies the same authentication and tenant isolation. A forwarded request carries {@link #FORWARDED} and is never
 * forwarded again.
 *
 * <p>An owner without a live lease answers "gone" (empty), and the caller resolves the task from the database; an
 * owner with a live lease that cannot be reached is a typed {@code DEPENDENCY_UNAVAILABLE}, never a 500.
 */
@Singleton
public class PeerClient {
    /** Header marking a request forwarded by another instance; its value is the forwarding instance's id. */
    public static final String FORWARDED = "X-Sluice-Forwarded";
    private static final int CONNECT_TIMEOUT_MS = 2_000;

    private final HttpClient http;
    private final InstanceLease lease;

    @Inject
    public PeerClient(Vertx vertx, InstanceLease lease) {
        this.lease = lease;
        this.http = vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout(CONNECT_TIMEOUT_MS)
                .setKeepAlive(true)
                .setMaxPoolSize(64));
    }

    /** A complete answer of the owner. */
    public record Reply(int status, String contentType, Buffer body) {}

    /**
     * Sends a request to the live owner and reads its whole answer.
     *
     * @return empty when the owner holds no live lease
     */
    public CompletionStage<Optional<Reply>> call(String owner, HttpMethod method, String path, String authorization) {
        return open(owner, method, path, authorization, null).thenCompose(opened -> {
            if (opened.isEmpty()) {
                return CompletableFuture.completedFuture(Optional.<Reply>empty());
            }
            HttpClientResponse r = opened.get();
            var body = r.body();
            r.resume();
            return body.map(b -> Optional.of(new Reply(r.statusCode(), r.getHeader("Content-Type"), b))).toCompletionStage();
        });
    }

    /**
     * Opens a request to the live owner and answers its response with the body not yet read (for streams: the
     * caller sets handlers and resumes it).
     *
     * @return empty when the owner holds no live lease
     */
    public CompletionStage<Optional<HttpClientResponse>> open(
            String owner, HttpMethod method, String path, String authorization, String lastEventId) {
        return lease.peerUrl(owner).exceptionally(e -> {
            throw unreachable("the database (to find instance " + owner + ")", e);
        }).thenCompose(base -> {
            if (base == null) {
                return CompletableFuture.completedFuture(Optional.<HttpClientResponse>empty());
            }
            RequestOptions options = new RequestOptions().setMethod(method).setAbsoluteURI(base + path)
                    .addHeader(FORWARDED, lease.id());
            if (authorization != null) {
                options.addHeader("Authorization", authorization);
            }
            if (lastEventId != null) {
                options.addHeader("Last-Event-ID", lastEventId);
            }
            return http.request(options)
                    .compose(req -> req.send())
                    .map(resp -> {
                        resp.pause();
                        return Optional.of(resp);
                    })
                    .toCompletionStage()
                    .exceptionally(e -> {
                        throw unreachable("instance " + owner + " at " + base, e);
                    });
        });
    }

    private static SluiceException unreachable(String what, Throwable e) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof SluiceException se) {
            return se;
        }
        return new SluiceException(SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE,
                        "the Sluice instance running the task cannot be reached (" + what + ": " + cause.getMessage() + "); retry")
                .withRetryAfter(1_000L));
    }

    @PreDestroy
    void close() {
        http.close();
    }
}
