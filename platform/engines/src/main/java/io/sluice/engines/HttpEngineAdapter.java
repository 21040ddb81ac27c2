package io.sluice.engines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineException;
import io.sluice.core.engine.Generation;
import io.sluice.core.engine.GenerationListener;
import io.sluice.core.error.ErrorCode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Shared plumbing of the HTTP engine adapters: one {@link HttpClient} per replica (HTTP/1.1, so that aborting
 * a stream closes its connection and the engine frees the slot), JSON helpers, and a server-sent-events
 * reader that hands each {@code data:} payload to the protocol's frame parser.
 */
abstract class HttpEngineAdapter implements EngineAdapter {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);

    final URI base;
    final HttpClient client;

    HttpEngineAdapter(URI base) {
        this.base = base.toString().endsWith("/") ? base : URI.create(base + "/");
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
    }

    @Override
    public String endpoint() {
        return base.toString();
    }

    URI uri(String path) {
        return base.resolve(path.startsWith("/") ? path.substring(1) : path);
    }

    /** GETs a JSON document; a 503 means the engine is still loading (POOL_UNREADY). */
    CompletableFuture<JsonNode> getJson(String path) {
        HttpRequest req = HttpRequest.newBuilder(uri(path)).timeout(PROBE_TIMEOUT).GET().build();
        return client.sendAsync(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).handle((resp, err) -> {
            if (err != null) {
                throw unreachable(path, err);
            }
            checkProbeStatus(path, resp.statusCode(), resp.body());
            try {
                String body = resp.body();
                return body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
            } catch (IOException e) {
                throw new EngineException(ErrorCode.WORKER_RESET, path + " answered invalid JSON");
            }
        });
    }

    /** GETs a path and only checks its status. */
    CompletableFuture<Void> getOk(String path) {
        HttpRequest req = HttpRequest.newBuilder(uri(path)).timeout(PROBE_TIMEOUT).GET().build();
        return client.sendAsync(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).handle((resp, err) -> {
            if (err != null) {
                throw unreachable(path, err);
            }
            checkProbeStatus(path, resp.statusCode(), resp.body());
            return null;
        });
    }

    CompletableFuture<Void> postOk(String path, String body) {
        HttpRequest req = HttpRequest.newBuilder(uri(path))
                .timeout(Duration.ofMinutes(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return client.sendAsync(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).handle((resp, err) -> {
            if (err != null) {
                throw unreachable(path, err);
            }
            if (resp.statusCode() / 100 != 2) {
                throw new EngineException(ErrorCode.WORKER_RESET, path + " answered HTTP " + resp.statusCode());
            }
            return null;
        });
    }

    private static void checkProbeStatus(String path, int status, String body) {
        if (status == 503) {
            throw new EngineException(ErrorCode.POOL_UNREADY, path + " answered 503: the engine is still loading");
        }
        if (status / 100 != 2) {
            throw new EngineException(ErrorCode.WORKER_RESET, path + " answered HTTP " + status);
        }
    }

    static EngineException unreachable(String what, Throwable err) {
        Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
        if (cause instanceof EngineException ee) {
            return ee;
        }
        if (cause instanceof HttpTimeoutException) {
            return new EngineException(ErrorCode.WORKER_RESET, what + ": engine did not answer in time", cause);
        }
        if (cause instanceof ConnectException) {
            return new EngineException(ErrorCode.WORKER_RESET, what + ": engine refused the connection", cause);
        }
        return new EngineException(ErrorCode.WORKER_RESET, what + ": " + cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : " " + cause.getMessage()), cause);
    }

    static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What one SSE {@code data:} payload meant. */
    enum FrameResult {
        CONTINUE,
        DONE
    }

    /** Parses one protocol's frames; called in stream order on one thread. */
    interface FrameParser {
        /**
         * @param data the payload of one {@code data:} line
         * @return DONE after the protocol's final frame
         * @throws EngineException on an error frame or garbage
         */
        FrameResult onData(String data, GenerationListener listener);

        /** Called when the stream ended without a final frame; DONE if the protocol allows that. */
        default boolean endWithoutFinalFrameIsOk() {
            return false;
        }
    }

    /**
     * POSTs {@code body} and reads the answer as server-sent events. Exactly one of onEnd/onError reaches the
     * listener unless {@link Generation#cancel()} is called first.
     */
    Generation streamSse(String path, String body, FrameParser parser, GenerationListener listener) {
        HttpRequest req = HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        SseSubscriber sub = new SseSubscriber(parser, listener);
        CompletableFuture<HttpResponse<Void>> f = client.sendAsync(req, info -> {
            if (info.statusCode() != 200) {
                return HttpResponse.BodySubscribers.replacing(null);
            }
            return HttpResponse.BodySubscribers.fromLineSubscriber(sub);
        });
        f.whenComplete((resp, err) -> {
            if (err != null) {
                sub.fail(unreachable(path, err));
            } else if (resp.statusCode() != 200) {
                sub.fail(new EngineException(resp.statusCode() == 503 || resp.statusCode() >= 500
                                ? ErrorCode.WORKER_RESET
                                : ErrorCode.INTERNAL,
                        path + " answered HTTP " + resp.statusCode()));
            }
        });
        return () -> {
            sub.cancel();
            f.cancel(true);
        };
    }

    /** Reads SSE lines; only {@code data:} lines matter to the engines we speak to. */
    private static final class SseSubscriber implements Flow.Subscriber<String> {
        private final FrameParser parser;
        private final GenerationListener listener;
        private final AtomicBoolean finished = new AtomicBoolean();
        private volatile Flow.Subscription subscription;
        private volatile boolean canceled;
        private boolean started;

        SseSubscriber(FrameParser parser, GenerationListener listener) {
            this.parser = parser;
            this.listener = listener;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            this.subscription = s;
            if (canceled) {
                s.cancel();
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(String line) {
            if (finished.get() || canceled) {
                return;
            }
            if (!started) {
                started = true;
                listener.onStarted();
            }
            if (!line.startsWith("data:")) {
                return; // comments, event:, id:, blank separators
            }
            String data = line.substring(5).stripLeading();
            try {
                if (parser.onData(data, listener) == FrameResult.DONE) {
                    finished.set(true);
                    subscription.cancel();
                }
            } catch (EngineException e) {
                fail(e);
                subscription.cancel();
            } catch (RuntimeException e) {
                fail(new EngineException(ErrorCode.WORKER_RESET, "unreadable engine frame: " + e.getClass().getSimpleName()));
                subscription.cancel();
            }
        }

        @Override
        public void onError(Throwable t) {
            fail(unreachable("stream", t));
        }

        @Override
        public void onComplete() {
            if (finished.get() || canceled) {
                return;
            }
            if (parser.endWithoutFinalFrameIsOk()) {
                if (finished.compareAndSet(false, true)) {
                    listener.onEnd(-1, -1);
                }
                return;
            }
            fail(new EngineException(ErrorCode.WORKER_RESET, "engine closed the stream before its final frame"));
        }

        void fail(EngineException e) {
            if (!canceled && finished.compareAndSet(false, true)) {
                listener.onError(e);
            }
        }

        void cancel() {
            canceled = true;
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }
    }
}
