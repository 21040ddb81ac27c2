package io.sluice.enginesim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Test client: plain java.net.http on HTTP/1.1, as an engine adapter would talk to an engine. */
final class SimHttp {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private SimHttp() {}

    static HttpResponse<String> get(EngineSimulator sim, String path) {
        return send(HttpRequest.newBuilder(sim.url().resolve(path)).GET());
    }

    static HttpResponse<String> post(EngineSimulator sim, String path, String body) {
        return send(HttpRequest.newBuilder(sim.url().resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    static HttpResponse<String> delete(EngineSimulator sim, String path) {
        return send(HttpRequest.newBuilder(sim.url().resolve(path)).DELETE());
    }

    static HttpResponse<String> send(HttpRequest.Builder b) {
        try {
            return CLIENT.send(b.timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + s, e);
        }
    }

    static JsonNode json(HttpResponse<String> r) {
        return json(r.body());
    }

    /** Payloads of the SSE events of a complete body ("data:" and one optional space removed). */
    static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            if (block.isEmpty()) {
                continue;
            }
            if (!block.startsWith("data:")) {
                throw new AssertionError("SSE block without data: " + block);
            }
            String p = block.substring(5);
            out.add(p.startsWith(" ") ? p.substring(1) : p);
        }
        return out;
    }

    /** An open streaming response read event by event. */
    static final class Stream implements AutoCloseable {
        final HttpResponse<InputStream> response;
        private final BufferedReader reader;

        Stream(HttpResponse<InputStream> response) {
            this.response = response;
            this.reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        }

        /** The next SSE event's raw block (e.g. {@code data: {...}}), or null at end of stream. */
        String nextRaw() throws IOException {
            StringBuilder sb = new StringBuilder();
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty()) {
                    if (sb.length() > 0) {
                        return sb.toString();
                    }
                    continue;
                }
                if (sb.length() > 0) {
                    sb.append('\n');
                }
                sb.append(line);
            }
            return sb.length() > 0 ? sb.toString() : null;
        }

        /** The next event's JSON payload. */
        JsonNode next() throws IOException {
            String raw = nextRaw();
            if (raw == null) {
                return null;
            }
            return json(events(raw + "\n\n").get(0));
        }

        /**
         * Closes the response body, which makes the client drop the connection. Closes the raw stream,
         * not the reader, so that a read blocked on another thread does not block the close.
         */
        @Override
        public void close() throws IOException {
            response.body().close();
        }
    }

    static Stream open(EngineSimulator sim, String path, String body) {
        try {
            HttpResponse<InputStream> r = CLIENT.send(HttpRequest.newBuilder(sim.url().resolve(path))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body))
                            .build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            return new Stream(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Polls until the condition holds; fails after 10 s. Used only for asynchronous state, never for speed. */
    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
