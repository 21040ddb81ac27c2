package io.sluice.benchmarks.load;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;

/**
 * The floor under Sluice's streaming cost ({@code bin/sluice bench streams --relay yes}): a bare reverse proxy on
 * the same Vert.x and JVM options as the app, which forwards each request to the engine and copies the streamed
 * answer back chunk by chunk — one read and one write per token, as any gateway in the path must do, and nothing
 * else (no parsing, no event log, no persistence, no auth). Its CPU per task, measured in its own process like the
 * app's, is what a stream costs on this machine before Sluice does any of its own work.
 *
 * <p>Run as its own JVM: {@code StreamRelay <engine-url> <port>}; prints {@code relay listening on <port>} when ready.
 */
public final class StreamRelay {
    private StreamRelay() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: StreamRelay <engine-url> <port>");
            System.exit(64);
            return;
        }
        URI engine = URI.create(args[0]);
        int port = Integer.parseInt(args[1]);
        Vertx vertx = Vertx.vertx();
        HttpClient client = vertx.createHttpClient(
                new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                new PoolOptions().setHttp1MaxSize(4096).setMaxWaitQueueSize(-1));
        vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port).setTcpNoDelay(true))
                .requestHandler(in -> forward(client, engine, in))
                .listen()
                .toCompletionStage()
                .toCompletableFuture()
                .get();
        System.out.println("relay listening on " + port);
        System.out.flush();
    }

    private static void forward(HttpClient client, URI engine, HttpServerRequest in) {
        RequestOptions out = new RequestOptions()
                .setMethod(in.method())
                .setHost(engine.getHost())
                .setPort(engine.getPort())
                .setURI(in.uri());
        for (String h : new String[] {"Content-Type", "Accept"}) {
            String v = in.getHeader(h);
            if (v != null) {
                out.putHeader(h, v);
            }
        }
        in.body()
                .compose(body -> client.request(out).compose(req -> req.send(body)))
                .onSuccess(resp -> {
                    var answer = in.response().setStatusCode(resp.statusCode()).setChunked(true);
                    String type = resp.getHeader("Content-Type");
                    if (type != null) {
                        answer.putHeader("Content-Type", type);
                    }
                    resp.pipeTo(answer);
                })
                .onFailure(e -> {
                    if (!in.response().headWritten()) {
                        in.response().setStatusCode(502).end("relay: " + e.getMessage());
                    } else {
                        in.response().reset();
                    }
                });
    }
}
