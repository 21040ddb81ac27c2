package io.sluice.engines;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.sluice.core.engine.EngineAdapter;
import io.sluice.core.engine.EngineException;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.task.EngineKind;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Byte streams no engine should send and the simulator never does: an oversized line and bytes that are not
 * UTF-8. A minimal server on a real socket plays the broken engine, because the point is the malformed bytes.
 */
@DisplayName("POOL-4 malformed engine frames")
class HostileFramesTest {
    private HttpServer server;
    private final AtomicReference<byte[]> body = new AtomicReference<>();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/completion", ex -> {
            ex.getRequestBody().readAllBytes();
            ex.getResponseHeaders().add("Content-Type", "text/event-stream");
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body.get());
            } catch (java.io.IOException e) {
                // the adapter hung up first: expected for the oversized case
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private SimSupport.Recorder run() {
        EngineAdapter adapter = EngineAdapters.create(EngineKind.LLAMACPP,
                URI.create("http://127.0.0.1:" + server.getAddress().getPort()), "m", EngineOptions.DEFAULTS, SimSupport.VERTX);
        SimSupport.Recorder r = new SimSupport.Recorder();
        adapter.generate(SimSupport.request("x", 5, 1), r);
        return r;
    }

    @Test
    @DisplayName("an oversized line fails the stream with WORKER_RESET, once")
    void oversizedLine() {
        StringBuilder sb = new StringBuilder("data: {\"content\":\"");
        sb.append("a".repeat(HttpEngineAdapter.MAX_LINE_CHARS + 10)).append("\",\"stop\":false}\n\n");
        body.set(sb.toString().getBytes(StandardCharsets.UTF_8));
        SimSupport.Recorder r = run();
        EngineException e = r.error();
        assertThat(e.code()).isEqualTo(ErrorCode.WORKER_RESET);
        assertThat(e.getMessage()).contains("oversized");
        assertThat(r.tokens).isEmpty();
        assertThat(r.terminals.get()).isEqualTo(1);
    }

    @Test
    @DisplayName("bytes that are not UTF-8 never reach the client as text: the stream fails with WORKER_RESET, once")
    void notUtf8() {
        byte[] good = "data: {\"content\":\"ok\",\"stop\":false}\n\n".getBytes(StandardCharsets.UTF_8);
        byte[] bad = {'d', 'a', 't', 'a', ':', ' ', '{', '"', 'c', 'o', 'n', 't', 'e', 'n', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28,
                '"', ',', '"', 's', 't', 'o', 'p', '"', ':', 'f', 'a', 'l', 's', 'e', '}', '\n', '\n'};
        byte[] all = new byte[good.length + bad.length];
        System.arraycopy(good, 0, all, 0, good.length);
        System.arraycopy(bad, 0, all, good.length, bad.length);
        body.set(all);
        SimSupport.Recorder r = run();
        EngineException e = r.error();
        assertThat(e.code()).isEqualTo(ErrorCode.WORKER_RESET);
        assertThat(r.tokens).containsExactly("ok");
        assertThat(r.terminals.get()).isEqualTo(1);
    }
}
