package io.sluice.app.cluster;

import io.sluice.app.testing.Processes;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.Sse;
import io.sluice.devstack.DevIssuer;
import io.sluice.devstack.EmbeddedDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Several Sluice instances on one PostgreSQL (REL-5, REL-2), as real separate processes: two packaged app JVMs, the
 * engine simulator and embedded PostgreSQL. Instances are killed with SIGKILL and the database is stopped under
 * traffic; every assertion is on what clients and the database see.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
    private static final long LEASE_MS = 2_000;
    private static final String TENANT = "cluster-tenant";

    private Path work;
    private Path dataDir;
    private int dbPort;
    private EmbeddedDatabase db;
    private DevIssuer issuer;
    private Process sim;
    private Path config;
    private final List<Process> apps = new ArrayList<>();
    private String token;

    /** One running app instance. */
    private record Instance(String name, Process process, String url) {}

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("sluice-cluster-");
        dataDir = work.resolve("pgdata");
        db = EmbeddedDatabase.start(dataDir, 0);
        dbPort = db.port();
        issuer = DevIssuer.start(0);
        token = issuer.tenantToken(TENANT);
        startSimulator();
    }

    @AfterAll
    void stop() throws IOException {
        Processes.stopAll(apps, sim, issuer, db);
    }

    // ------------------------------------------------------------------------------------------------ tests

    @Test
    @Order(1)
    @DisplayName("REL-5 status, stream and cancel of a task answer on the instance that does not run it")
    void anyInstanceAnswersForAnyTask() throws Exception {
        Instance a = startApp("a1");
        Instance b = startApp("b1");
        try {
            Map<String, Object> body = task(24);
            String id = submit(a, body);

            // late join on the other instance: every event, in order, ids without gaps
            List<Sse.Event> events = Sse.readAll(b.url + "/v1/tasks/" + id + "/stream", token);
            assertThat(events.get(0).name()).isEqualTo("started");
            assertThat(events.get(events.size() - 1).name()).isEqualTo("end");
            assertThat(events.stream().filter(e -> e.name().equals("token"))).hasSize(24);
            for (int i = 0; i < events.size(); i++) {
                assertThat(events.get(i).id()).isEqualTo(i + 1L);
            }
            // resume on the other instance after a Last-Event-ID
            try (Sse.Stream s = Sse.open(b.url + "/v1/tasks/" + id + "/stream", token, "3")) {
                List<Sse.Event> rest = s.until(Sse.Event::terminal);
                assertThat(rest.get(0).id()).isEqualTo(4L);
                assertThat(rest).hasSize(events.size() - 3);
            }
            String createdOnA = as(a).get("/v1/tasks/" + id).then().statusCode(200).extract().path("created_at");
            as(b).get("/v1/tasks/" + id).then().statusCode(200)
                    .body("state", equalTo("succeeded"))
                    .body("created_at", equalTo(createdOnA))
                    .body("tokens_out", equalTo(24));
            assertThat(query("select terminal_event_id from tasks where id = '" + id + "'")).isEqualTo(String.valueOf(events.size()));

            // cancel through the other instance: the owner's stream ends CANCELED, the row says canceled
            String slow = submit(a, task(400));
            try (Sse.Stream s = Sse.open(a.url + "/v1/tasks/" + slow + "/stream", token, null)) {
                s.until(e -> e.name().equals("token"));
                as(b).get("/v1/tasks/" + slow).then().statusCode(200).body("state", equalTo("running"));
                as(b).post("/v1/tasks/" + slow + "/cancel").then().statusCode(204);
                List<Sse.Event> tail = s.until(Sse.Event::terminal);
                Sse.Event last = tail.get(tail.size() - 1);
                assertThat(last.name()).isEqualTo("error");
                assertThat(last.data()).contains("CANCELED");
            }
            assertThat(query("select state from tasks where id = '" + slow + "'")).isEqualTo("canceled");
            // another tenant sees nothing of it, on either instance
            String other = issuer.tenantToken("cluster-other");
            given().filter(Contract.STRICT).baseUri(b.url).header("Authorization", "Bearer " + other)
                    .get("/v1/tasks/" + id).then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        } finally {
            stopApp(a);
            stopApp(b);
        }
    }

    @Test
    @Order(2)
    @DisplayName("REL-5 REL-1 after kill -9 of one instance the survivor resolves only its tasks, once its lease expired")
    void survivorTakesOverOnlyTheDeadInstancesTasks() throws Exception {
        Instance a = startApp("a2");
        Instance b = startApp("b2");
        try {
            List<String> onA = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                onA.add(submit(a, task(400)));
            }
            List<String> onB = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                onB.add(submit(b, task(60)));
            }
            ExecutorService readers = Executors.newFixedThreadPool(onB.size());
            List<Future<List<Sse.Event>>> survivorStreams = new ArrayList<>();
            for (String id : onB) {
                survivorStreams.add(readers.submit(() -> Sse.readAll(b.url + "/v1/tasks/" + id + "/stream", token)));
            }
            // a client of the dead instance's task, reading through the survivor, sees its first tokens
            long lastSeen;
            try (Sse.Stream s = Sse.open(b.url + "/v1/tasks/" + onA.get(0) + "/stream", token, null)) {
                List<Sse.Event> seen = s.until(e -> e.name().equals("token") && e.data().contains("\"i\":2"));
                lastSeen = seen.get(seen.size() - 1).id();
                a.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }

            // the survivor's own clients see no interruption
            for (Future<List<Sse.Event>> f : survivorStreams) {
                List<Sse.Event> events = f.get(60, TimeUnit.SECONDS);
                assertThat(events.get(events.size() - 1).name()).isEqualTo("end");
                assertThat(events.stream().filter(e -> e.name().equals("token"))).hasSize(60);
            }
            readers.shutdown();

            // the resuming client gets the terminal WORKER_RESET, after everything it saw
            Sse.Event terminal = resumeUntilTerminal(b, onA.get(0), lastSeen);
            assertThat(terminal.name()).isEqualTo("error");
            assertThat(terminal.data()).contains("WORKER_RESET");
            assertThat(terminal.id()).isGreaterThan(lastSeen);

            for (String id : onA) {
                awaitState(id, "failed");
                as(b).get("/v1/tasks/" + id).then().statusCode(200)
                        .body("error.code", equalTo("WORKER_RESET"))
                        .body("error.retriable", equalTo(true));
                assertThat(query("select count(*) from task_events where task_id = '" + id + "' and kind = 'recovered'")).isEqualTo("1");
            }
            for (String id : onB) {
                assertThat(query("select state from tasks where id = '" + id + "'")).isEqualTo("succeeded");
                assertThat(query("select count(*) from task_events where task_id = '" + id + "'")).isEqualTo("0");
            }
        } finally {
            stopApp(a);
            stopApp(b);
        }
    }

    @Test
    @Order(3)
    @DisplayName("REL-2 every task answered 202 is stored, even when its instance is killed right after")
    void acknowledgedTasksSurviveKillMinusNine() throws Exception {
        Instance a = startApp("a3");
        Instance b = startApp("b3");
        try {
            List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
            ExecutorService clients = Executors.newFixedThreadPool(8);
            List<Future<?>> work = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                work.add(clients.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        Map<String, Object> body = task(200);
                        Response r = given().baseUri(a.url).header("Authorization", "Bearer " + token).contentType(ContentType.JSON)
                                .body(body).post("/v1/tasks");
                        if (r.statusCode() == 202) {
                            acknowledged.add((String) body.get("task_id"));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get(120, TimeUnit.SECONDS);
            }
            a.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            clients.shutdown();

            assertThat(acknowledged).hasSizeGreaterThan(40);
            String ids = "'" + String.join("','", acknowledged) + "'";
            assertThat(query("select count(*) from tasks where id in (" + ids + ")")).isEqualTo(String.valueOf(acknowledged.size()));
            // and the survivor ends every one of them, exactly once
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!query("select count(*) from tasks where id in (" + ids + ") and state in ('queued', 'running')").equals("0")) {
                assertThat(System.nanoTime()).as("the survivor resolves the dead instance's tasks").isLessThan(deadline);
                Thread.sleep(200);
            }
        } finally {
            stopApp(a);
            stopApp(b);
        }
    }

    @Test
    @Order(4)
    @DisplayName("REL-2 with PostgreSQL stopped admissions answer a typed 503 and store nothing; once it is back Sluice admits again")
    void databaseOutage() throws Exception {
        Instance b = startApp("b4");
        try {
            submit(b, task(4));
            db.close();
            List<String> refused = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Map<String, Object> body = task(4);
                as(b).contentType(ContentType.JSON).body(body).post("/v1/tasks").then()
                        .statusCode(503)
                        .body("code", equalTo("DEPENDENCY_UNAVAILABLE"))
                        .body("retriable", equalTo(true));
                refused.add((String) body.get("task_id"));
            }
            db = EmbeddedDatabase.start(dataDir, dbPort);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String admitted = null;
            while (admitted == null) {
                assertThat(System.nanoTime()).as("admissions resume without a restart").isLessThan(deadline);
                Map<String, Object> body = task(4);
                Response r = as(b).contentType(ContentType.JSON).body(body).post("/v1/tasks");
                if (r.statusCode() == 202) {
                    admitted = (String) body.get("task_id");
                } else {
                    assertThat(r.statusCode()).isEqualTo(503);
                    Thread.sleep(250);
                }
            }
            List<Sse.Event> events = Sse.readAll(b.url + "/v1/tasks/" + admitted + "/stream", token);
            assertThat(events.get(events.size() - 1).name()).isEqualTo("end");
            String ids = "'" + String.join("','", refused) + "'";
            assertThat(query("select count(*) from tasks where id in (" + ids + ")")).isEqualTo("0");
        } finally {
            stopApp(b);
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private Sse.Event resumeUntilTerminal(Instance via, String id, long lastSeen) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (Sse.Stream s = Sse.open(via.url + "/v1/tasks/" + id + "/stream", token, Long.toString(lastSeen))) {
                if (s.status() == 200) {
                    List<Sse.Event> events = s.until(Sse.Event::terminal);
                    for (Sse.Event e : events) {
                        assertThat(e.id()).isGreaterThan(lastSeen);
                        lastSeen = e.id();
                    }
                    if (!events.isEmpty() && events.get(events.size() - 1).terminal()) {
                        return events.get(events.size() - 1);
                    }
                } else {
                    assertThat(s.status()).as("while the owner's lease runs, a typed 503").isEqualTo(503);
                }
            } catch (IOException e) {
                // the relayed stream broke when its owner died: resume
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no terminal event for " + id);
    }

    private void awaitState(String id, String state) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!state.equals(query("select state from tasks where id = '" + id + "'"))) {
            assertThat(System.nanoTime()).as("task " + id + " reaches " + state).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private RequestSpecification as(Instance i) {
        return given().filter(Contract.STRICT).baseUri(i.url).header("Authorization", "Bearer " + token);
    }

    private String submit(Instance i, Map<String, Object> body) {
        as(i).contentType(ContentType.JSON).body(body).post("/v1/tasks").then().statusCode(202);
        return (String) body.get("task_id");
    }

    private static Map<String, Object> task(int maxTokens) {
        Map<String, Object> m = new HashMap<>();
        m.put("task_id", UUID.randomUUID().toString());
        m.put("session_id", UUID.randomUUID().toString());
        m.put("workload", "completion");
        m.put("model_ref", "dev-tiny");
        m.put("prompt", "cluster");
        m.put("max_tokens", maxTokens);
        m.put("deadline_ms", 120_000);
        return m;
    }

    private String query(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + dbPort + "/" + EmbeddedDatabase.DATABASE,
                EmbeddedDatabase.USER, EmbeddedDatabase.PASSWORD);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private void startSimulator() throws Exception {
        Processes.Simulator simulator = Processes.startSimulator(work, 16, 20);
        sim = simulator.process();
        config = simulator.config();
    }

    private Instance startApp(String name) throws Exception {
        Processes.App app = Processes.startApp(work, name, config, dbPort, issuer.issuerUrl(),
                Map.of("SLUICE_INSTANCE_LEASE_MS", Long.toString(LEASE_MS)));
        apps.add(app.process());
        return new Instance(name, app.process(), app.url());
    }

    private static void stopApp(Instance i) throws InterruptedException {
        i.process.destroy();
        if (!i.process.waitFor(30, TimeUnit.SECONDS)) {
            i.process.destroyForcibly();
        }
    }

}
