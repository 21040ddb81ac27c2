package io.sluice.engines;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.Generation;
import io.sluice.core.task.EngineKind;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The connection to an engine outlives a generation that ended normally, and dies with one that was
 * cancelled, so the engine frees the slot (ADR 0017). A small llama.cpp-speaking server on a real socket
 * records the client port of every request: the same port means the same connection.
 */
class ConnectionReuseTest {
    private static final String TOKEN = "data: {\"content\":\"a\",\"stop\":false}\n\n";
    private static final String FINAL = "data: {\"content\":\"\",\"stop\":true,\"stop_type\":\"limit\",\"tokens_predicted\":1,"
            + "\"tokens_evaluated\":1,\"timings\":{\"predicted_ms\":1}}\n\n";

    private static final int GENERATIONS = 10;

    private HttpServer server;
    private ExecutorService handlers;
    private final List<Integer> clientPorts = new CopyOnWriteArrayList<>();
    private final CountDownLatch disconnected = new CountDownLatch(1);
    private volatile boolean hold;
    private EngineAdapter adapter;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        handlers = Executors.newCachedThreadPool();
        server.setExecutor(handlers);
        server.createContext("/completion", ex -> {
            ex.getRequestBody().readAllBytes();
            clientPorts.add(ex.getRemoteAddress().getPort());
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            try {
                if (!hold) {
                    byte[] whole = (TOKEN + FINAL).getBytes(StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(200, whole.length);
                    try (OutputStream out = ex.getResponseBody()) {
                        out.write(whole);
                    }
                    return;
                }
                ex.sendResponseHeaders(200, 0);
                OutputStream out = ex.getResponseBody();
                out.write(TOKEN.getBytes(StandardCharsets.UTF_8));
                out.flush();
                // Stream a token every 20 ms until the write fails: the client hung up.
                for (int i = 0; i < 500; i++) {
                    Thread.sleep(20);
                    out.write(TOKEN.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } catch (IOException e) {
                disconnected.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        adapter = EngineAdapters.create(EngineKind.LLAMACPP, URI.create("http://127.0.0.1:" + server.getAddress().getPort()), "m",
                EngineOptions.DEFAULTS, SimSupport.VERTX);
    }

    @AfterEach
    void stop() {
        adapter.close();
        server.stop(0);
        handlers.shutdownNow();
    }

    private void generateToEnd() {
        SimSupport.Recorder r = new SimSupport.Recorder();
        adapter.generate(SimSupport.request("x", 1, 1), r);
        assertThat(r.outcome().tokensOut()).isEqualTo(1);
        assertThat(r.terminals.get()).isEqualTo(1);
    }

    @Test
    @DisplayName("generations that end with their final frame reuse kept-alive connections")
    void completedGenerationsShareConnections() {
        for (int i = 0; i < GENERATIONS; i++) {
            generateToEnd();
        }
        assertThat(clientPorts).hasSize(GENERATIONS);
        // The listener hears the end at the final frame, a moment before the connection is back in the pool, so
        // a generation started at once may still open a second connection; without keep-alive each opens one.
        assertThat(Set.copyOf(clientPorts)).as("connections used by %d sequential generations: %s", GENERATIONS, clientPorts)
                .hasSizeLessThanOrEqualTo(GENERATIONS / 2);
    }

    @Test
    @DisplayName("a cancelled generation closes its connection: the engine sees the client go, the next one connects anew")
    void cancelClosesTheConnection() throws Exception {
        generateToEnd();
        hold = true;
        SimSupport.Recorder r = new SimSupport.Recorder();
        Generation g = adapter.generate(SimSupport.request("x", 100, 1), r);
        SimSupport.await("the first token of the held stream", () -> !r.tokens.isEmpty());
        g.cancel();
        assertThat(disconnected.await(SimSupport.WAIT.toMillis(), TimeUnit.MILLISECONDS))
                .as("the engine's write failed because the connection was closed").isTrue();
        hold = false;
        generateToEnd();
        assertThat(clientPorts).hasSize(3);
        assertThat(clientPorts.get(2)).as("the cancelled stream's connection is not reused").isNotEqualTo(clientPorts.get(1));
    }
}
