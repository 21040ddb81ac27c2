package io.sluice.engines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineException;
import io.sluice.core.engine.Generation;
import io.sluice.core.engine.GenerationListener;
import io.sluice.core.error.ErrorCode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Shared plumbing of the HTTP engine adapters: one {@link HttpClient} per replica (HTTP/1.1, so that aborting
 * a stream closes its connection and the engine frees the slot), the replica's credential on every request,
 * JSON helpers, a server-sent-events reader that hands each event's data to the protocol's frame parser,
 * an idle timeout on streams, and the error mapping of {@link EngineErrors}.
 *
 * <p>Retries: probe GETs are retried once when the connection could not be made (a replica restarting
 * answers the second attempt); a generation is never retried here, because the scheduler decides whether it
 * may move to another replica ({@link ErrorCode#retriable()} and no token sent yet).
 */
abstract class HttpEngineAdapter implements EngineAdapter {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);
    /** Longest SSE line accepted; a larger one is a broken or hostile engine, not a token. */
    static final int MAX_LINE_CHARS = 1 << 20;

    // One daemon timer for every adapter: idle checks are rare and cheap.
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sluice-engine-idle-timer");
        t.setDaemon(true);
        return t;
    });

    final URI base;
    final HttpClient client;
    final EngineOptions options;

    HttpEngineAdapter(URI base, EngineOptions options) {
        this.base = base.toString().endsWith("/") ? base : URI.create(base + "/");
        this.options = options == null ? EngineOptions.DEFAULTS : options;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
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

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
        if (options.apiKey() != null) {
            b.header("Authorization", "Bearer " + options.apiKey());
        }
        return b;
    }

    /**
     * Maps a non-2xx answer; protocols override to read their own statuses (Triton answers 404 for a model that
     * is still loading).
     */
    EngineException httpError(String what, int status, String body) {
        return EngineErrors.forStatus(engineName(), what, status, body);
    }

    private CompletableFuture<HttpResponse<String>> getWithRetry(String path, boolean retry) {
        HttpRequest req = request(path).timeout(PROBE_TIMEOUT).GET().build();
        return client.sendAsync(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .handle((resp, err) -> {
                    if (err == null) {
                        return CompletableFuture.completedFuture(resp);
                    }
                    Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                    if (retry && cause instanceof ConnectException) {
                        return getWithRetry(path, false);
                    }
                    return CompletableFuture.<HttpResponse<String>>failedFuture(EngineErrors.transport(engineName(), path, err));
                })
                .thenCompose(f -> f);
    }

    /** GETs a JSON document; a non-2xx status fails with the mapped error (503: POOL_UNREADY). */
    CompletableFuture<JsonNode> getJson(String path) {
        return getWithRetry(path, true).thenApply(resp -> {
            if (resp.statusCode() / 100 != 2) {
                throw httpError(path, resp.statusCode(), resp.body());
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
            if (resp.statusCode() / 100 != 2) {
                throw httpError(path, resp.statusCode(), resp.body());
            }
            return null;
        });
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
     * listener unless {@link Generation#cancel()} is called first; either way the HTTP request is aborted
     * once the outcome is known, so the engine frees its slot.
     */
    Generation streamSse(String path, String body, FrameParser parser, GenerationListener listener) {
        HttpRequest req = request(path)
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
        SseSubscriber sub = new SseSubscriber(parser, listener);
        CompletableFuture<HttpResponse<String>> f = client.sendAsync(req, info -> {
            if (info.statusCode() != 200) {
                return HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8);
            }
            // Our own line splitting: the JDK's line subscriber replaces bytes that are not UTF-8 with U+FFFD,
            // which would pass a broken engine's bytes on to the client as text.
            return HttpResponse.BodySubscribers.fromSubscriber(sub, s -> (String) null);
        });
        sub.request = f;
        f.whenComplete((resp, err) -> {
            if (err != null) {
                sub.fail(EngineErrors.transport(engineName(), path, err));
            } else if (resp.statusCode() != 200) {
                sub.fail(httpError(path, resp.statusCode(), resp.body()));
            }
        });
        sub.armIdleTimer(options.streamIdleTimeout());
        return sub::cancel;
    }

    /**
     * Splits the body into lines (LF or CRLF), decodes each strictly as UTF-8, and reads them as SSE events;
     * only {@code data:} fields matter to the engines we speak to.
     */
    private final class SseSubscriber implements Flow.Subscriber<List<ByteBuffer>> {
        private final FrameParser parser;
        private final GenerationListener listener;
        private final AtomicBoolean finished = new AtomicBoolean();
        private final StringBuilder data = new StringBuilder();
        private volatile Flow.Subscription subscription;
        private volatile CompletableFuture<?> request;
        private volatile boolean canceled;
        private volatile long lastActivityNanos = System.nanoTime();
        private volatile ScheduledFuture<?> idleTimer;
        private boolean started;
        private boolean hasData;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);

        SseSubscriber(FrameParser parser, GenerationListener listener) {
            this.parser = parser;
            this.listener = listener;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            this.subscription = s;
            if (canceled || finished.get()) {
                s.cancel();
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            lastActivityNanos = System.nanoTime();
            if (finished.get() || canceled) {
                return;
            }
            if (!started) {
                started = true;
                listener.onStarted();
            }
            for (ByteBuffer b : buffers) {
                while (b.hasRemaining()) {
                    byte c = b.get();
                    if (c == '\n') {
                        if (!endOfLine()) {
                            return;
                        }
                    } else {
                        line.write(c);
                        if (line.size() > MAX_LINE_CHARS) {
                            fail(new EngineException(ErrorCode.WORKER_RESET, engineName() + " sent an oversized stream line"));
                            return;
                        }
                    }
                }
            }
        }

        /** Decodes and handles the buffered line; false once the stream has finished. */
        private boolean endOfLine() {
            byte[] bytes = line.toByteArray();
            line.reset();
            int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, 0, n)).toString();
            } catch (CharacterCodingException e) {
                fail(new EngineException(ErrorCode.WORKER_RESET, engineName() + " sent stream bytes that are not UTF-8"));
                return false;
            }
            onLine(text);
            return !finished.get() && !canceled;
        }

        private void onLine(String line) {
            if (line.isEmpty()) {
                dispatch();
                return;
            }
            if (line.startsWith("data:")) {
                String v = line.substring(5);
                if (v.startsWith(" ")) {
                    v = v.substring(1);
                }
                if (hasData) {
                    data.append('\n');
                }
                data.append(v);
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
                    if (finished.compareAndSet(false, true)) {
                        // The end was already reported by the parser; close so the connection is not kept.
                        abort();
                    }
                }
            } catch (EngineException e) {
                fail(e);
            } catch (RuntimeException e) {
                fail(new EngineException(ErrorCode.WORKER_RESET,
                        engineName() + " sent an unreadable stream frame (" + e.getClass().getSimpleName() + ")"));
            }
        }

        @Override
        public void onError(Throwable t) {
            fail(EngineErrors.transport(engineName(), "stream", t));
        }

        @Override
        public void onComplete() {
            if (finished.get() || canceled) {
                return;
            }
            // A last line or event without its terminator still counts: some servers close right after the data.
            if (line.size() > 0 && !endOfLine()) {
                return;
            }
            dispatch();
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
            if (finished.get() || canceled) {
                return;
            }
            long silent = System.nanoTime() - lastActivityNanos;
            if (silent >= idleNanos) {
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

        /** Closes the HTTP exchange: the connection goes away and the engine frees the slot. */
        private void abort() {
            stopIdleTimer();
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
            CompletableFuture<?> r = request;
            if (r != null) {
                r.cancel(true);
            }
        }

        void cancel() {
            canceled = true;
            abort();
        }
    }
}
