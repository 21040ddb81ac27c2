package io.sluice.app.tasks;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.sluice.app.cluster.InstanceLease;
import io.sluice.app.cluster.PeerClient;
import io.sluice.app.cluster.SseFrames;
import io.sluice.app.config.SluiceAppConfig;
import io.sluice.app.http.CorrelationIds;
import io.sluice.app.http.ErrorMappers;
import io.sluice.app.security.Caller;
import io.sluice.app.security.IdentityMap;
import io.sluice.app.tasks.store.StoredTask;
import io.sluice.app.tasks.store.TaskJournal;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.scheduling.TaskRun;
import io.sluice.core.stream.EventLog;
import io.sluice.core.stream.TaskEvent;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /v1/tasks/{task_id}/stream} (SPEC SSE-1, SSE-2, REL-5), served by a Vert.x route rather than a JAX-RS
 * resource: a stream lives for the whole generation and carries one frame per token, so each event is serialised once
 * into an SSE frame and written straight to the connection — no per-event reactive pipeline, context propagation or
 * message-body writer (ADR 0009). Everything else of the operation is as the contract says: the tenant role, typed
 * error bodies with the ADM-5 retry headers, {@code Cache-Control: no-cache}, a {@code retry:} hint, keep-alive
 * comments on quiet streams, resume after {@code Last-Event-ID}, and forwarding to the instance that runs the task.
 *
 * <p>Threads: the decision (which task, live here or elsewhere) runs on the connection's event loop and never blocks;
 * frames of a live task are written from the thread that appends to its event log (the engine adapter's), which
 * Vert.x hands to the connection's event loop in order.
 */
@ApplicationScoped
public class TaskStreamRoute {
    static final String PATH = "/v1/tasks/:task_id/stream";

    @Inject
    TaskService service;

    @Inject
    PeerClient peers;

    @Inject
    InstanceLease lease;

    @Inject
    ObjectMapper json;

    @Inject
    SluiceAppConfig config;

    @Inject
    Vertx vertx;

    @Inject
    IdentityMap identities;

    /**
     * Registers the route without creating the route's bean: routers are set up before start-up checks run, and the
     * bean's dependencies (the scheduler, the lease) must not come to life before a start is allowed.
     */
    @ApplicationScoped
    static class Installer {
        @Inject
        jakarta.enterprise.inject.Instance<TaskStreamRoute> route;

        private volatile TaskStreamRoute resolved;

        void install(@Observes Router router) {
            router.get(PATH).handler(rc -> target().handle(rc));
        }

        /** Resolves the route's bean on the first stream request, then reuses it (no lookup per request). */
        private TaskStreamRoute target() {
            TaskStreamRoute r = resolved;
            if (r == null) {
                r = route.get();
                resolved = r;
            }
            return r;
        }
    }

    void handle(RoutingContext rc) {
        String correlationId = rc.request().getHeader(CorrelationIds.HEADER);
        QuarkusHttpUser.getSecurityIdentity(rc, null).subscribe().with(identity -> {
            try {
                String tenant = authorise(identity);
                UUID id = TaskResource.parseId(rc.pathParam("task_id"));
                long after = TaskResource.parseLastEventId(rc.request().getHeader("Last-Event-ID"));
                open(rc, id, tenant, after).whenComplete((stream, err) -> {
                    if (err != null) {
                        fail(rc, err, correlationId);
                    } else {
                        stream.start(rc);
                    }
                });
            } catch (RuntimeException e) {
                fail(rc, e, correlationId);
            }
        }, err -> fail(rc, err, correlationId));
    }

    private String authorise(SecurityIdentity identity) {
        if (identity == null || identity.isAnonymous()) {
            throw new AuthenticationFailedException();
        }
        return Caller.tenantIdOf(identity, config, identities);
    }

    /** Decides what the stream will be; nothing is written to the client before that is known. */
    private CompletionStage<Stream> open(RoutingContext rc, UUID id, String tenant, long after) {
        String authorization = rc.request().getHeader("Authorization");
        String lastEventId = rc.request().getHeader("Last-Event-ID");
        boolean forwarded = rc.request().getHeader(PeerClient.FORWARDED) != null;
        Optional<TaskRun> live = service.liveRun(id, tenant);
        if (live.isPresent()) {
            return CompletableFuture.completedFuture(new LiveStream(live.get(), after));
        }
        return service.stored(id, tenant).thenCompose(row -> {
            StoredTask t = row.orElseThrow(() -> SluiceException.notFound("task " + id));
            if (t.ended()) {
                if (forwarded || service.ownedHere(t) || t.ownerInstance() == null) {
                    return done(replayTerminal(t, after));
                }
                // Its owner may still retain the whole log (SSE-2 resume); if it is gone or unreachable, the stored
                // terminal event is the answer.
                return peers.open(t.ownerInstance(), HttpMethod.GET, "/v1/tasks/" + id + "/stream", authorization, lastEventId)
                        .handle((owner, err) -> {
                            if (err == null && owner.isPresent() && owner.get().statusCode() == 200) {
                                return (Stream) new RelayedStream(owner.get());
                            }
                            if (err == null) {
                                owner.ifPresent(r -> r.request().reset());
                            }
                            return replayTerminal(t, after);
                        });
            }
            Optional<TaskRun> nowLive = service.liveRun(id, tenant);
            if (nowLive.isPresent()) {
                return done(new LiveStream(nowLive.get(), after));
            }
            if (forwarded || service.ownedHere(t)) {
                throw new SluiceException(SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE,
                        "task " + id + " is being handed to its instance; retry").withRetryAfter(100L));
            }
            return peers.open(t.ownerInstance(), HttpMethod.GET, "/v1/tasks/" + id + "/stream", authorization, lastEventId)
                    .thenCompose(owner -> {
                        if (owner.isEmpty()) {
                            return resolvedRow(id, tenant).thenApply(resolved -> replayTerminal(resolved, after));
                        }
                        HttpClientResponse resp = owner.get();
                        if (resp.statusCode() == 200) {
                            return done(new RelayedStream(resp));
                        }
                        int status = resp.statusCode();
                        var body = resp.body();
                        resp.resume();
                        return body.toCompletionStage().thenApply(b -> {
                            throw new SluiceException(errorOf(status, b.toString()));
                        });
                    });
        });
    }

    private static CompletionStage<Stream> done(Stream s) {
        return CompletableFuture.completedFuture(s);
    }

    /** The row of a task whose owner holds no live lease, once the sweep resolved it. */
    private CompletionStage<StoredTask> resolvedRow(UUID id, String tenant) {
        return lease.sweep().thenCompose(n -> service.stored(id, tenant)).thenApply(row -> row.orElseThrow(
                () -> SluiceException.notFound("task " + id)));
    }

    private Stream replayTerminal(StoredTask t, long after) {
        if (!t.ended()) {
            throw new SluiceException(SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE,
                    "task " + t.id() + " is not resolved yet; retry").withRetryAfter(1_000L));
        }
        long terminalId = t.terminalEventId() == null ? 1 : t.terminalEventId();
        Buffer frame = after >= terminalId ? null : frame(terminalId, TaskJournal.terminalEventOf(t));
        return new Stream() {
            @Override
            void begin() {
                if (frame != null) {
                    send(frame);
                }
                finish();
            }
        };
    }

    /** The typed error another instance answered with. */
    private SluiceError errorOf(int status, String body) {
        try {
            JsonNode n = json.readTree(body);
            ErrorCode code = ErrorCode.valueOf(n.path("code").asText());
            return SluiceError.of(code, n.path("message").asText());
        } catch (Exception e) {
            return SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE,
                    "the Sluice instance running the task answered " + status + " without a typed error");
        }
    }

    /** Answers a failure before the stream began, with the contract's error body. */
    private void fail(RoutingContext rc, Throwable failure, String correlationId) {
        ErrorMappers.writeFailure(rc.response(), failure, correlationId, json);
    }

    /** One SSE frame: id, event name and the event's JSON data, serialised once. */
    private Buffer frame(long id, TaskEvent event) {
        if (event instanceof TaskEvent.Token t) {
            return tokenFrame(id, t);
        }
        try {
            String data = json.writeValueAsString(TaskResource.payloadOf(event));
            return frame(Long.toString(id), event.name(), data);
        } catch (Exception e) {
            throw new IllegalStateException("cannot serialise " + event.name() + " event", e);
        }
    }

    /**
     * A token's frame, written by hand: it is most of what a stream sends, and the object mapper's reflective
     * serialisation of {@link TaskDtos.TokenPayload} was the largest item of the per-token path. The bytes are the
     * same: {@code {"t":...,"i":...}} with the text escaped as JSON, on one data line.
     */
    static Buffer tokenFrame(long id, TaskEvent.Token t) {
        StringBuilder sb = new StringBuilder(48 + t.t().length());
        sb.append("id: ").append(id).append("\nevent: token\ndata: {\"t\":\"");
        JsonStringEncoder.getInstance().quoteAsString(t.t(), sb);
        sb.append("\",\"i\":").append(t.i()).append("}\n\n");
        return Buffer.buffer(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    static Buffer frame(String id, String event, String data) {
        StringBuilder sb = new StringBuilder(32 + data.length());
        if (id != null) {
            sb.append("id: ").append(id).append('\n');
        }
        sb.append("event: ").append(event).append('\n');
        for (String line : data.split("\n", -1)) {
            sb.append("data: ").append(line).append('\n');
        }
        sb.append('\n');
        return Buffer.buffer(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static final Buffer KEEP_ALIVE = Buffer.buffer(": keep-alive\n\n");

    /**
     * An answer in the making: {@link #start} commits the 200 and the stream's headers, then {@link #begin} sends events
     * until {@link #finish}. A keep-alive comment goes out whenever nothing was sent for the heartbeat interval.
     */
    private abstract class Stream {
        private HttpServerResponse response;
        private long timer = -1;
        private volatile long lastSentNanos;
        private volatile boolean closed;

        final void start(RoutingContext rc) {
            response = rc.response();
            if (response.closed()) {
                onClose();
                return;
            }
            response.setStatusCode(200).setChunked(true)
                    .putHeader("Content-Type", "text/event-stream")
                    .putHeader("Cache-Control", "no-cache");
            response.closeHandler(v -> close());
            response.exceptionHandler(e -> close());
            long heartbeatMs = config.tasks().streamHeartbeatMs();
            long heartbeatNanos = TimeUnit.MILLISECONDS.toNanos(heartbeatMs);
            lastSentNanos = System.nanoTime();
            response.write(Buffer.buffer(": sluice\nretry: " + config.tasks().streamRetryMs() + "\n\n"));
            timer = vertx.setPeriodic(heartbeatMs, t -> {
                if (!closed && System.nanoTime() - lastSentNanos >= heartbeatNanos - heartbeatNanos / 10) {
                    send(KEEP_ALIVE);
                }
            });
            begin();
        }

        abstract void begin();

        final void send(Buffer frame) {
            if (!closed) {
                lastSentNanos = System.nanoTime();
                response.write(frame);
            }
        }

        final boolean isClosed() {
            return closed;
        }

        /** Ends the answer normally (the terminal event was sent, or there is none to send). */
        final void finish() {
            if (!closed) {
                closed = true;
                stopTimer();
                response.end();
                onFinish();
            }
        }

        /** Ends the answer abruptly: the client should reconnect with Last-Event-ID. */
        final void abort() {
            if (!closed) {
                closed = true;
                stopTimer();
                response.reset();
                onClose();
            }
        }

        private void close() {
            if (!closed) {
                closed = true;
                stopTimer();
                onClose();
            }
        }

        private void stopTimer() {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
        }

        /** The answer ended after its last event. */
        void onFinish() {}

        /** The answer ended before its last event: the reader went away or the source failed. */
        void onClose() {}
    }

    /** Events of a task running here, replayed after the resume point, then live until the terminal one. */
    private final class LiveStream extends Stream {
        private final TaskRun run;
        private final long after;
        private EventLog.Subscription subscription;

        LiveStream(TaskRun run, long after) {
            this.run = run;
            this.after = after;
        }

        @Override
        void begin() {
            EventLog log = run.log();
            EventLog.Subscription s = log.subscribe(after, new EventLog.Listener() {
                @Override
                public void onEvent(long eventId, TaskEvent event) {
                    send(frame(eventId, event));
                    if (event.terminal()) {
                        finish();
                    }
                }

                @Override
                public void onEnd() {
                    finish();
                }
            });
            synchronized (this) {
                subscription = s;
            }
            if (isClosed()) {
                s.close(); // the reader left while the replay was being sent
            }
        }

        private synchronized void unsubscribe() {
            if (subscription != null) {
                subscription.close();
            }
        }

        @Override
        void onFinish() {
            unsubscribe();
        }

        @Override
        void onClose() {
            unsubscribe();
            EventLog log = run.log();
            if (run.spec().cancelOnDisconnect() && !log.sealed() && log.readers() == 0) {
                service.cancelLocal(run.spec().taskId(), run.spec().tenantId());
            }
        }
    }

    /** The owner instance's stream, relayed frame by frame as it arrives. */
    private final class RelayedStream extends Stream {
        private final HttpClientResponse upstream;

        RelayedStream(HttpClientResponse upstream) {
            this.upstream = upstream;
        }

        @Override
        void begin() {
            SseFrames frames = new SseFrames(f -> send(frame(f.id(), f.event(), f.data())));
            upstream.handler(buf -> frames.feed(buf.getBytes()));
            upstream.endHandler(v -> finish());
            // Losing the owner mid-stream: end abruptly so that the client resumes with Last-Event-ID.
            upstream.exceptionHandler(e -> abort());
            upstream.resume();
        }

        @Override
        void onClose() {
            upstream.request().reset();
        }
    }
}
