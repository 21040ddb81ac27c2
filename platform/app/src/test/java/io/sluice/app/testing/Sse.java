package io.sluice.app.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A minimal SSE reader for tests: reads events until a terminal one (or a stop condition), in order. Every event read
 * is checked against the contract as it arrives (its name is in {@code x-sluice-sse-events} and its data is valid
 * against that schema), so a test that reads a stream cannot skip the check.
 */
public final class Sse {
    /** One event: SSE id, name and raw data. */
    public record Event(long id, String name, String data) {
        public boolean terminal() {
            return name.equals("end") || name.equals("error");
        }
    }

    /** An open stream that tests read step by step (e.g. to cancel in the middle). */
    public static final class Stream implements AutoCloseable {
        private final HttpResponse<java.io.InputStream> response;
        private final BufferedReader reader;

        Stream(HttpResponse<java.io.InputStream> response) {
            this.response = response;
            this.reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        }

        public int status() {
            return response.statusCode();
        }

        public String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }

        /** Next event, or null at end of stream. */
        public Event next() throws IOException {
            String name = "message";
            long id = -1;
            StringBuilder data = null;
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data != null) {
                        return checked(new Event(id, name, data.toString()));
                    }
                    continue;
                }
                if (line.startsWith("event:")) {
                    name = line.substring(6).trim();
                } else if (line.startsWith("id:")) {
                    id = Long.parseLong(line.substring(3).trim());
                } else if (line.startsWith("data:")) {
                    String d = line.substring(5);
                    d = d.startsWith(" ") ? d.substring(1) : d;
                    data = data == null ? new StringBuilder(d) : data.append('\n').append(d);
                }
            }
            return data == null ? null : checked(new Event(id, name, data.toString()));
        }

        /** Reads until {@code stop} matches an event (included) or the stream ends. */
        public List<Event> until(Predicate<Event> stop) throws IOException {
            List<Event> out = new ArrayList<>();
            Event e;
            while ((e = next()) != null) {
                out.add(e);
                if (stop.test(e)) {
                    break;
                }
            }
            return out;
        }

        @Override
        public void close() throws IOException {
            reader.close();
        }
    }

    private Sse() {}

    private static Event checked(Event e) {
        String violations = Contract.sseViolations(e.name(), e.data());
        if (!violations.isEmpty()) {
            throw new AssertionError("SSE event " + e.id() + " '" + e.name() + "' breaks the contract: " + violations + "; data: " + e.data());
        }
        return e;
    }

    /** Asserts that every event's name is in the contract's SSE map and its data is valid against the named schema. */
    public static void assertMatchesContract(List<Event> events) {
        for (Event e : events) {
            checked(e);
        }
    }

    public static Stream open(String url, String token, String lastEventId) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Accept", "text/event-stream");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        try {
            return new Stream(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                    .send(b.GET().build(), HttpResponse.BodyHandlers.ofInputStream()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** All events of a stream up to and including its terminal event. */
    public static List<Event> readAll(String url, String token) {
        try (Stream s = open(url, token, null)) {
            return s.until(Event::terminal);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
