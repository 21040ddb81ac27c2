package io.sluice.engines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineException;
import io.sluice.core.engine.Generation;
import io.sluice.core.engine.GenerationListener;
import io.sluice.core.error.ErrorCode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Shared plumbing of the HTTP engine adapters: one Vert.x {@link HttpClient} per replica (HTTP/1.1 with
 * keep-alive, so consecutive generations reuse a connection; aborting a stream resets its connection and the
 * engine frees the slot), the replica's credential on every request, JSON helpers, a server-sent-events
 * reader that hands each event's data to the protocol's frame parser, an idle timeout on streams, and the
 * error mapping of {@link EngineErrors}.
 *
 * <p>Threads: every callback of one generation (bytes, frames, the listener) runs on the event loop of
 * the connection that carries it; nothing here blocks. ADR 0017 explains why this replaced the JDK client.
 *
 * <p>Retries: probe GETs are retried once when the connection could not be made (a replica restarting
 * answers the second attempt); a generation is never retried here, because the scheduler decides whether it
 * may move to another replica ({@link ErrorCode#retriable()} and no token sent yet).
 */
abstract class HttpEngineAdapter implements EngineAdapter {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);
    /**
     * Longest a control request (probe, load, unload) may stay open, retry included: two connection attempts
     * of 2 s and the request's own 5 s, plus a margin.
     */
    static final Duration CONTROL_DEADLINE = Duration.ofSeconds(10);
    /** Longest SSE line accepted; a larger one is a broken or hostile engine, not a token. */
    static final int MAX_LINE_CHARS = 1 << 20;
    /** Most of an error body kept for the message; the rest is read and dropped. */
    static final int MAX_ERROR_BODY_BYTES = 64 * 1024;
    /**
     * How long an idle pooled connection is kept. Below the 5 s keep-alive of llama.cpp's and uvicorn's
     * servers, so Sluice closes an idle connection before the engine does and never sends a generation on a
     * connection the engine is closing.
     */
    static final int KEEP_ALIVE_SECONDS = 3;
    /** Connections per replica; above any slot count an engine reports, so the pool never queues a stream. */
    static final int MAX_CONNECTIONS = 4096;

    // One daemon timer for every adapter: idle checks are rare and cheap.
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sluice-engine-idle-timer");
        t.setDaemon(true);
        return t;
    });

    final URI base;
    final HttpClient client;
    final EngineOptions options;
    private final String authorization;
    private final String host;
    private final int port;
    /** The base URL's path, ending with a slash; request paths are appended to it. */
    private final String basePath;
    private final boolean ssl;

    HttpEngineAdapter(URI base, EngineOptions options, Vertx vertx) {
        this.base = base.toString().endsWith("/") ? base : URI.create(base + "/");
        this.options = options == null ? EngineOptions.DEFAULTS : options;
        this.authorization = this.options.apiKey() == null ? null : "Bearer " + this.options.apiKey();
        this.ssl = "https".equalsIgnoreCase(this.base.getScheme());
        this.host = this.base.getHost();
        this.basePath = this.base.getRawPath() == null || this.base.getRawPath().isEmpty() ? "/" : this.base.getRawPath();
        this.port = this.base.getPort() > 0 ? this.base.getPort() : (ssl ? 443 : 80);
        HttpClientOptions http = new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_1_1)
                .setKeepAlive(true)
                .setKeepAliveTimeout(KEEP_ALIVE_SECONDS)
                .setConnectTimeout(2_000)
                .setSsl(ssl)
                .setVerifyHost(ssl)
                .setName("sluice-engine-" + host + "-" + port);
        this.client = vertx.createHttpClient(http, new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS));
        this.vertx = vertx;
    }

    private final Vertx vertx;

    /**
     * A generation refused before anything was sent (the request asks for what this replica cannot do): the listener
     * gets {@code error} once, on a Vert.x thread as every other outcome, unless the handle is cancelled first.
     */
    Generation refuse(EngineException error, GenerationListener listener) {
        AtomicBoolean cancelled = new AtomicBoolean();
        vertx.runOnContext(v -> {
            if (!cancelled.get()) {
                listener.onError(error);
            }
        });
        return () -> cancelled.set(true);
    }

    /** Engine name used in error messages, e.g. "llama.cpp". */
    abstract String engineName();

    @Override
    public String endpoint() {
        return base.toString();
    }

    URI uri(String path) {
        return base.resolve(path.startsWith("/") ? path.substring(1) : path);
    }

    private RequestOptions request(HttpMethod method, String path) {
        RequestOptions o = new RequestOptions()
                .setMethod(method)
                .setHost(host)
                .setPort(port)
                .setSsl(ssl)
                .setURI(basePath + (path.startsWith("/") ? path.substring(1) : path));
        if (authorization != null) {
            o.putHeader(HttpHeaders.AUTHORIZATION, authorization);
        }
        return o;
    }

    /**
     * Maps a non-2xx answer; protocols override to read their own statuses (Triton answers 404 for a model that
     * is still loading).
     */
    EngineException httpError(String what, int status, String body) {
        return EngineErrors.forStatus(engineName(), what, status, body);
    }

    /** A GET's status and body (the body cut at {@link #MAX_ERROR_BODY_BYTES} when it is not 2xx). */
    record Answer(int status, String body) {}

    /**
     * Fails {@code result} with a timeout, and resets the request if one was sent, when it is still open after
     * {@link #CONTROL_DEADLINE}. The request's own timeouts should fire long before; this JDK timer is the backstop for a
     * completion Vert.x never delivers, which the adapter tests caught about once in 40 runs on a loaded machine
     * (every event loop idle, the engine answering, the request neither answered nor timed out; cause not found).
     */
    private <T> CompletableFuture<T> withDeadline(CompletableFuture<T> result, String path, AtomicReference<HttpClientRequest> sent) {
        ScheduledFuture<?> deadline = TIMER.schedule(() -> {
            if (result.completeExceptionally(EngineErrors.transport(engineName(), path,
                    new TimeoutException("no answer within " + CONTROL_DEADLINE.toMillis() + " ms")))) {
                HttpClientRequest r = sent.get();
                if (r != null) {
                    r.reset();
                }
            }
        }, CONTROL_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        result.whenComplete((a, e) -> deadline.cancel(false));
        return result;
    }

    private CompletableFuture<Answer> getWithRetry(String path, boolean retry) {
        CompletableFuture<Answer> result = new CompletableFuture<>();
        AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
        withDeadline(result, path, sent);
        RequestOptions o = request(HttpMethod.GET, path).setTimeout(PROBE_TIMEOUT.toMillis());
        client.request(o)
                .compose(req -> {
                    sent.set(req);
                    return req.send();
                })
                .compose(resp -> resp.body().map(body -> new Answer(resp.statusCode(), body.toString(StandardCharsets.UTF_8))))
                .onComplete(ar -> {
                    if (ar.succeeded()) {
                        result.complete(ar.result());
                    } else if (retry && ar.cause() instanceof ConnectException) {
                        getWithRetry(path, false).whenComplete((a, e) -> {
                            if (e != null) {
                                result.completeExceptionally(e);
                            } else {
                                result.complete(a);
                            }
                        });
                    } else {
                        result.completeExceptionally(EngineErrors.transport(engineName(), path, ar.cause()));
                    }
                });
        return result;
    }

    /** GETs a JSON document; a non-2xx status fails with the mapped error (503: POOL_UNREADY). */
    CompletableFuture<JsonNode> getJson(String path) {
        return getWithRetry(path, true).thenApply(resp -> {
            if (resp.status() / 100 != 2) {
                throw httpError(path, resp.status(), resp.body());
            }
            try {
                String body = resp.body();
                return body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
            } catch (IOException e) {
                throw new EngineException(ErrorCode.WORKER_RESET, engineName() + " " + path + " answered invalid JSON");
            }
        });
    }

    /** GETs a path and only checks its status. */
    CompletableFuture<Void> getOk(String path) {
        return getWithRetry(path, true).thenApply(resp -> {
            if (resp.status() / 100 != 2) {
                throw httpError(path, resp.status(), resp.body());
            }
            return null;
        });
    }

    /** POSTs a JSON body to a control path (not the task path) and only checks its status. */
    CompletableFuture<Void> postOk(String path, String jsonBody) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
        withDeadline(result, path, sent);
        RequestOptions o = request(HttpMethod.POST, path).setTimeout(PROBE_TIMEOUT.toMillis())
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        client.request(o)
                .compose(req -> {
                    sent.set(req);
                    return req.send(jsonBody);
                })
                .compose(resp -> resp.body().map(body -> new Answer(resp.statusCode(), body.toString(StandardCharsets.UTF_8))))
                .onComplete(ar -> {
                    if (ar.failed()) {
                        result.completeExceptionally(EngineErrors.transport(engineName(), path, ar.cause()));
                    } else if (ar.result().status() / 100 != 2) {
                        result.completeExceptionally(httpError(path, ar.result().status(), ar.result().body()));
                    } else {
                        result.complete(null);
                    }
                });
        return result;
    }

    @Override
    public void close() {
        client.close();
    }

    static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses a frame's JSON; garbage is WORKER_RESET with no echo of the bytes. */
    JsonNode frameJson(String data) {
        JsonNode f;
        try {
            f = JSON.readTree(data);
        } catch (IOException e) {
            throw new EngineException(ErrorCode.WORKER_RESET, engineName() + " sent a stream frame that is not JSON");
        }
        if (f == null || !f.isObject()) {
            throw new EngineException(ErrorCode.WORKER_RESET, engineName() + " sent a stream frame that is not a JSON object");
        }
        return f;
    }

    /** What one SSE event meant. */
    enum FrameResult {
        CONTINUE,
        DONE
    }

    /** Parses one protocol's frames; called in stream order on one thread. */
    interface FrameParser {
        /**
         * @param data the data of one server-sent event
         * @return DONE after the protocol's final frame
         * @throws EngineException on an error frame or garbage
         */
        FrameResult onData(String data, GenerationListener listener);

        /**
         * Called when the stream ended cleanly without a final frame; returns true (after reporting the end
         * to the listener) when the protocol ends that way (Triton), false when the end is premature.
         */
        default boolean onCleanEnd(GenerationListener listener) {
            return false;
        }
    }

    /**
     * POSTs {@code body} and reads the answer as server-sent events. Exactly one of onEnd/onError reaches the
     * listener unless {@link Generation#cancel()} is called first. A cancel or a failure resets the
     * connection, so the engine frees its slot at once; a stream that ended with its final frame and the
     * response's end leaves the connection in the pool for the next generation.
     */
    Generation streamSse(String path, String body, FrameParser parser, GenerationListener listener) {
        SseStream stream = new SseStream(path, parser, listener);
        RequestOptions o = request(HttpMethod.POST, path)
                .putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON)
                .putHeader(HttpHeaders.ACCEPT, TEXT_EVENT_STREAM);
        Buffer payload = Buffer.buffer(body);
        client.request(o).onComplete(ar -> {
            if (ar.failed()) {
                stream.fail(EngineErrors.transport(engineName(), path, ar.cause()));
                return;
            }
            HttpClientRequest req = ar.result();
            if (!stream.attach(req)) {
                return;
            }
            req.send(payload).onComplete(rar -> {
                if (rar.failed()) {
                    stream.fail(EngineErrors.transport(engineName(), path, rar.cause()));
                } else {
                    stream.onResponse(rar.result());
                }
            });
        });
        stream.armIdleTimer(options.streamIdleTimeout());
        return stream::cancel;
    }

    private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
    private static final CharSequence TEXT_EVENT_STREAM = HttpHeaders.createOptimized("text/event-stream");

    /**
     * Splits the body into lines (LF or CRLF), decodes each strictly as UTF-8, and reads them as SSE events;
     * only {@code data:} fields matter to the engines we speak to. Its methods run on the connection's event
     * loop, except {@link #cancel()} and the idle check, which may run anywhere and only reset the request.
     */
    private final class SseStream {
        private final String path;
        private final FrameParser parser;
        private final GenerationListener listener;
        private final AtomicBoolean finished = new AtomicBoolean();
        private final StringBuilder data = new StringBuilder();
        private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        private volatile HttpClientRequest request;
        private volatile boolean canceled;
        private volatile long lastActivityNanos = System.nanoTime();
        private volatile ScheduledFuture<?> idleTimer;
        /** The final frame arrived; the rest of the response is drained so the connection can be reused. */
        private boolean done;
        private boolean started;
        private boolean hasData;
        private byte[] line = new byte[256];
        private int lineLength;

        SseStream(String path, FrameParser parser, GenerationListener listener) {
            this.path = path;
            this.parser = parser;
            this.listener = listener;
        }

        /** Remembers the request so that a cancel can reset it; false (after resetting it) when already over. */
        boolean attach(HttpClientRequest req) {
            this.request = req;
            if (canceled || finished.get()) {
                req.reset();
                return false;
            }
            return true;
        }

        void onResponse(HttpClientResponse resp) {
            if (canceled || finished.get()) {
                request.reset();
                return;
            }
            if (resp.statusCode() != 200) {
                readErrorBody(resp);
                return;
            }
            resp.exceptionHandler(e -> fail(EngineErrors.transport(engineName(), "stream", e)));
            resp.endHandler(v -> onComplete());
            resp.handler(this::onBytes);
        }

        private void readErrorBody(HttpClientResponse resp) {
            int status = resp.statusCode();
            Buffer body = Buffer.buffer();
            resp.exceptionHandler(e -> fail(httpError(path, status, body.toString(StandardCharsets.UTF_8))));
            resp.handler(b -> {
                if (body.length() < MAX_ERROR_BODY_BYTES) {
                    body.appendBuffer(b, 0, Math.min(b.length(), MAX_ERROR_BODY_BYTES - body.length()));
                }
            });
            resp.endHandler(v -> fail(httpError(path, status, body.toString(StandardCharsets.UTF_8))));
        }

        private void onBytes(Buffer buffer) {
            lastActivityNanos = System.nanoTime();
            if (done || finished.get() || canceled) {
                return;
            }
            if (!started) {
                started = true;
                listener.onStarted();
            }
            ByteBuf bytes = buffer.getByteBuf();
            int from = bytes.readerIndex();
            int to = bytes.writerIndex();
            while (from < to) {
                int lf = bytes.indexOf(from, to, (byte) '\n');
                int end = lf < 0 ? to : lf;
                if (!append(bytes, from, end - from)) {
                    return;
                }
                if (lf < 0) {
                    return;
                }
                if (!endOfLine()) {
                    return;
                }
                from = lf + 1;
            }
        }

        private boolean append(ByteBuf bytes, int index, int length) {
            if (length == 0) {
                return true;
            }
            int needed = lineLength + length;
            if (needed > MAX_LINE_CHARS) {
                fail(new EngineException(ErrorCode.WORKER_RESET, engineName() + " sent an oversized stream line"));
                return false;
            }
            if (needed > line.length) {
                line = Arrays.copyOf(line, Math.max(needed, line.length * 2));
            }
            bytes.getBytes(index, line, lineLength, length);
            lineLength = needed;
            return true;
        }

        /** Decodes and handles the buffered line; false once the stream has finished. */
        private boolean endOfLine() {
            int n = lineLength > 0 && line[lineLength - 1] == '\r' ? lineLength - 1 : lineLength;
            lineLength = 0;
            String text;
            if (isAscii(line, n)) {
                // The common case (engines escape non-ASCII in JSON or send plain ASCII); no decoder needed.
                text = new String(line, 0, n, StandardCharsets.ISO_8859_1);
            } else {
                try {
                    text = utf8.reset().decode(ByteBuffer.wrap(line, 0, n)).toString();
                } catch (CharacterCodingException e) {
                    fail(new EngineException(ErrorCode.WORKER_RESET, engineName() + " sent stream bytes that are not UTF-8"));
                    return false;
                }
            }
            onLine(text);
            return !done && !finished.get() && !canceled;
        }

        private static boolean isAscii(byte[] b, int n) {
            for (int i = 0; i < n; i++) {
                if (b[i] < 0) {
                    return false;
                }
            }
            return true;
        }

        private void onLine(String line) {
            if (line.isEmpty()) {
                dispatch();
                return;
            }
            if (line.startsWith("data:")) {
                int from = line.length() > 5 && line.charAt(5) == ' ' ? 6 : 5;
                if (hasData) {
                    data.append('\n');
                }
                data.append(line, from, line.length());
                hasData = true;
                if (data.length() > MAX_LINE_CHARS) {
                    fail(new EngineException(ErrorCode.WORKER_RESET, engineName() + " sent an oversized stream event"));
                }
            }
            // comments (":"), event:, id:, retry: carry nothing the adapters need
        }

        private void dispatch() {
            if (!hasData) {
                return;
            }
            String payload = data.toString();
            data.setLength(0);
            hasData = false;
            try {
                if (parser.onData(payload, listener) == FrameResult.DONE) {
                    // The parser reported the end. What follows (the response's end, or a [DONE] line) is read
                    // and dropped, so the connection goes back to the pool; the idle timer still bounds it.
                    done = true;
                    finished.set(true);
                }
            } catch (EngineException e) {
                fail(e);
            } catch (RuntimeException e) {
                fail(new EngineException(ErrorCode.WORKER_RESET,
                        engineName() + " sent an unreadable stream frame (" + e.getClass().getSimpleName() + ")"));
            }
        }

        private void onComplete() {
            if (done) {
                stopIdleTimer();
                return;
            }
            if (finished.get() || canceled) {
                return;
            }
            // A last line or event without its terminator still counts: some servers close right after the data.
            if (lineLength > 0 && !endOfLine()) {
                if (done) {
                    stopIdleTimer();
                }
                return;
            }
            dispatch();
            if (done) {
                stopIdleTimer();
                return;
            }
            if (finished.get() || canceled) {
                return;
            }
            boolean ok;
            try {
                ok = parser.onCleanEnd(new GenerationListener() {
                    @Override
                    public void onToken(String text) {
                        listener.onToken(text);
                    }

                    @Override
                    public void onEnd(long tokensOut, long decodeMs) {
                        endOnce(() -> listener.onEnd(tokensOut, decodeMs));
                    }

                    @Override
                    public void onEnd(io.sluice.core.engine.GenerationOutcome outcome) {
                        endOnce(() -> listener.onEnd(outcome));
                    }

                    @Override
                    public void onError(EngineException error) {
                        fail(error);
                    }
                });
            } catch (EngineException e) {
                fail(e);
                return;
            }
            if (!ok) {
                fail(new EngineException(ErrorCode.WORKER_RESET, engineName() + " closed the stream before its final frame"));
            }
            stopIdleTimer();
        }

        private void endOnce(Runnable r) {
            if (!canceled && finished.compareAndSet(false, true)) {
                stopIdleTimer();
                r.run();
            }
        }

        void fail(EngineException e) {
            if (!canceled && finished.compareAndSet(false, true)) {
                abort();
                listener.onError(e);
            }
        }

        void armIdleTimer(Duration idle) {
            long idleNanos = idle.toNanos();
            idleTimer = TIMER.schedule(() -> checkIdle(idleNanos), idleNanos, TimeUnit.NANOSECONDS);
        }

        private void checkIdle(long idleNanos) {
            if (canceled) {
                return;
            }
            long silent = System.nanoTime() - lastActivityNanos;
            if (silent >= idleNanos) {
                if (finished.get()) {
                    // Ended with its final frame, but the engine never closed the response: free the connection.
                    abort();
                    return;
                }
                fail(new EngineException(ErrorCode.DECODE_TIMEOUT, engineName() + " sent nothing for "
                        + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms; request aborted"));
            } else {
                idleTimer = TIMER.schedule(() -> checkIdle(idleNanos), idleNanos - silent, TimeUnit.NANOSECONDS);
            }
        }

        private void stopIdleTimer() {
            ScheduledFuture<?> t = idleTimer;
            if (t != null) {
                t.cancel(false);
            }
        }

        /** Resets the HTTP exchange: the connection is closed and the engine frees the slot. */
        private void abort() {
            stopIdleTimer();
            HttpClientRequest r = request;
            if (r != null) {
                r.reset();
            }
        }

        void cancel() {
            canceled = true;
            abort();
        }
    }
}
