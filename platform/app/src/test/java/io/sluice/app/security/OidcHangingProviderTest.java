package io.sluice.app.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.config.HttpClientConfig;
import io.restassured.config.RestAssuredConfig;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.SluiceStack;
import io.sluice.app.testing.UnknownKeyTokens;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The OIDC provider hangs instead of going away: it accepts connections and never answers (an overloaded or wedged
 * provider, a black-holing proxy). A token signed by a key Sluice has never seen makes it refresh the JWKS once; that
 * call must give up within the configured OIDC timeouts, so the request is refused with the contract's 401 within a
 * bounded time, and tokens of known keys keep working throughout (REL-4). The class runs on its own app instance, so
 * no earlier test's JWKS refresh (at most one per {@code forced-jwk-refresh-interval}) spares it the call.
 */
@QuarkusTest
@TestProfile(OidcHangingProviderTest.OwnApp.class)
class OidcHangingProviderTest extends ApiTest {
    private static final String TENANT = "oidc-hang";
    /**
     * The 3 s OIDC timeout (application.properties) plus room for a loaded 2-core machine (7.5 s measured with other
     * builds running), and well below the 25 s after which the client gives up: without the bound the refusal never
     * came before the client gave up.
     */
    private static final Duration BOUND = Duration.ofSeconds(15);

    /** The production settings; a profile of its own gives this class a fresh app (no JWKS refresh spent yet). */
    public static class OwnApp implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.oidc.token.forced-jwk-refresh-interval", "10M");
        }
    }

    @Test
    @DisplayName("REL-4 with the OIDC provider hanging, a token of an unknown key gets a 401 within a bounded time and known keys keep working")
    void hangingProvider() throws Exception {
        String known = tenantToken(TENANT);
        as(TENANT).get("/v1/tasks").then().statusCode(200);
        String unknownKey = UnknownKeyTokens.tenantToken(TENANT, "never-published");

        URI issuer = URI.create(SluiceStack.issuer().issuerUrl());
        SluiceStack.stopIssuer();
        try (BlackHole hole = BlackHole.listen(issuer.getPort())) {
            RestAssuredConfig patient = RestAssuredConfig.config().httpClient(HttpClientConfig.httpClientConfig()
                    .setParam("http.socket.timeout", 25_000).setParam("http.connection.timeout", 5_000));

            long started = System.nanoTime();
            given().config(patient).filter(Contract.NO_TOKEN).header("Authorization", "Bearer " + unknownKey).get("/v1/tasks").then()
                    .statusCode(401).body("code", equalTo("UNAUTHENTICATED"));
            Duration refusal = Duration.ofNanos(System.nanoTime() - started);
            System.out.println("OidcHangingProviderTest: unknown-key refusal took " + refusal.toMillis() + " ms, "
                    + hole.accepted() + " connection(s) to the hanging provider");
            assertThat(refusal).as("refusal time with the provider hanging").isLessThan(BOUND);

            long knownStarted = System.nanoTime();
            given().config(patient).filter(Contract.STRICT).header("Authorization", "Bearer " + known).get("/v1/tasks").then().statusCode(200);
            assertThat(Duration.ofNanos(System.nanoTime() - knownStarted)).as("a known key's token").isLessThan(BOUND);
        } finally {
            SluiceStack.restartIssuer();
        }
        as(TENANT).get("/v1/tasks").then().statusCode(200);
    }

    /** Accepts connections on a port and never reads or writes: the peer waits until its own timeout. */
    private static final class BlackHole implements AutoCloseable {
        private final ServerSocket server;
        private final List<Socket> held = new CopyOnWriteArrayList<>();
        private final AtomicInteger accepted = new AtomicInteger();

        private BlackHole(ServerSocket server) {
            this.server = server;
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        held.add(server.accept());
                        accepted.incrementAndGet();
                    } catch (IOException closed) {
                        return; // the test is over
                    }
                }
            }, "oidc-black-hole");
            t.setDaemon(true);
            t.start();
        }

        /** Takes over the stopped issuer's port; its listener may need a moment to let go of it, so the bind is retried, bounded. */
        static BlackHole listen(int port) {
            java.util.concurrent.atomic.AtomicReference<ServerSocket> bound = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.atomic.AtomicReference<IOException> last = new java.util.concurrent.atomic.AtomicReference<>();
            io.sluice.app.testing.Await.until(Duration.ofSeconds(90), () -> {
                try {
                    ServerSocket s = new ServerSocket();
                    s.setReuseAddress(true);
                    try {
                        s.bind(new InetSocketAddress(port));
                    } catch (IOException e) {
                        s.close();
                        throw e;
                    }
                    bound.set(s);
                    return true;
                } catch (IOException e) {
                    last.set(e);
                    return false;
                }
            }, "the hanging provider took port " + port + " (last failure: " + last.get() + ")");
            return new BlackHole(bound.get());
        }

        int accepted() {
            return accepted.get();
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
