package io.sluice.app.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.sluice.app.testing.Await;
import io.sluice.app.testing.SluiceStack;
import io.sluice.core.catalog.ModelState;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@QuarkusTest
class LifecycleApiTest extends CatalogApiSupport {
    private static final Map<ModelState, Set<ModelState>> LEGAL = Map.of(
            ModelState.Draft, Set.of(ModelState.Active),
            ModelState.Active, Set.of(ModelState.Canary, ModelState.Deprecated),
            ModelState.Canary, Set.of(ModelState.Active, ModelState.Deprecated),
            ModelState.Deprecated, Set.of(ModelState.Retired),
            ModelState.Retired, Set.of());

    @Test
    @DisplayName("LIFE-1 through the API every illegal (from, to) pair answers 409 and changes nothing; every legal one applies and is audited")
    void exhaustiveTransitionMatrix() {
        String name = unique("life1");
        int n = 0;
        for (ModelState from : ModelState.values()) {
            String id = entryIn(name, "m" + n++, from);
            for (ModelState to : ModelState.values()) {
                if (LEGAL.get(from).contains(to)) {
                    continue;
                }
                long audit = countRows("catalog_transitions where model_id = '" + id + "'");
                asAdmin().contentType(ContentType.JSON).body(Map.of("state", to.name())).post("/v1/catalog/models/" + id + "/state")
                        .then().statusCode(409).body("code", equalTo("CONFLICT"));
                asAdmin().get("/v1/catalog/models/" + id).then().statusCode(200).body("state", equalTo(from.name()));
                assertThat(countRows("catalog_transitions where model_id = '" + id + "'")).isEqualTo(audit);
            }
            for (ModelState to : LEGAL.get(from)) {
                String fresh = entryIn(name, "m" + n++, from);
                var entry = asAdmin().contentType(ContentType.JSON).body(Map.of("state", to.name(), "reason", "because " + to))
                        .post("/v1/catalog/models/" + fresh + "/state").then().statusCode(200).extract().jsonPath();
                assertThat(entry.getString("state")).isEqualTo(to.name());
                assertThat(entry.getBoolean("archived")).isEqualTo(to == ModelState.Retired);
                var last = asAdmin().get("/v1/catalog/models/" + fresh + "/transitions").then().statusCode(200).extract().jsonPath();
                int size = last.getList("items").size();
                assertThat(last.getString("items[" + (size - 1) + "].from_state")).isEqualTo(from.name());
                assertThat(last.getString("items[" + (size - 1) + "].to_state")).isEqualTo(to.name());
                assertThat(last.getString("items[" + (size - 1) + "].actor")).isEqualTo("ops");
                assertThat(last.getString("items[" + (size - 1) + "].reason")).isEqualTo("because " + to);
            }
        }
    }

    @Test
    @DisplayName("LIFE-1 of concurrent state changes of one entry exactly one wins; the others answer 409 and leave one audit row")
    void concurrentChangesOneWins() throws Exception {
        String name = unique("life1-race");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 5; round++) {
                String id = entryIn(name, "r" + round, ModelState.Active);
                long audit = countRows("catalog_transitions where model_id = '" + id + "'");
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Integer>> answers = new ArrayList<>();
                for (ModelState to : List.of(ModelState.Deprecated, ModelState.Deprecated, ModelState.Deprecated, ModelState.Deprecated)) {
                    Callable<Integer> change = () -> {
                        go.await();
                        return asAdmin().contentType(ContentType.JSON).body(Map.of("state", to.name()))
                                .post("/v1/catalog/models/" + id + "/state").then().extract().statusCode();
                    };
                    answers.add(pool.submit(change));
                }
                go.countDown();
                List<Integer> codes = new ArrayList<>();
                for (Future<Integer> f : answers) {
                    codes.add(f.get());
                }
                assertThat(codes).filteredOn(c -> c == 200).hasSize(1);
                assertThat(codes).filteredOn(c -> c == 409).hasSize(3);
                assertThat(countRows("catalog_transitions where model_id = '" + id + "'")).isEqualTo(audit + 1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("catalog: a Deprecated model refuses tasks of new sessions with MODEL_DEPRECATED unless the tenant may override; Retired refuses all")
    void deprecatedAndRetiredRefuseTasks() {
        String tenant = unique("life2-tenant");
        String tag = unique("life2");
        String id = entryIn("dev-tiny", tag, ModelState.Active);
        String ref = "dev-tiny:" + tag;
        submit(tenant, task(ref));
        // A ref the catalog does not know keeps working as before: the pools serve their YAML names.
        submit(tenant, task("dev-tiny"));

        asAdmin().contentType(ContentType.JSON).body(Map.of("state", "Deprecated", "deadline_ms", 60000, "reason", "superseded"))
                .post("/v1/catalog/models/" + id + "/state").then().statusCode(200)
                .body("history[2].deadline_at", org.hamcrest.Matchers.notNullValue());
        long tasks = countRows("tasks where tenant_id = '" + tenant + "'");
        as(tenant).contentType(ContentType.JSON).body(task(ref)).post("/v1/tasks").then().statusCode(410)
                .body("code", equalTo("MODEL_DEPRECATED")).body("stage", equalTo("resolve_model"));
        Map<String, Object> override = task(ref);
        override.put("override", true);
        as(tenant).contentType(ContentType.JSON).body(override).post("/v1/tasks").then().statusCode(410)
                .body("code", equalTo("MODEL_DEPRECATED"));
        assertThat(countRows("tasks where tenant_id = '" + tenant + "'")).isEqualTo(tasks);

        // The tenant may override once an admin says so; other instances learn it through the change feed.
        sql("update tenants set may_override = true where id = '" + tenant + "'");
        Await.until(Duration.ofSeconds(20), () -> overrideAccepted(tenant, ref), "the override is honoured");

        move(id, ModelState.Retired);
        Map<String, Object> again = task(ref);
        again.put("override", true);
        as(tenant).contentType(ContentType.JSON).body(again).post("/v1/tasks").then().statusCode(410).body("code", equalTo("MODEL_DEPRECATED"));
    }

    @Test
    @DisplayName("LIFE-2 a session that had tasks on a model before its deprecation keeps being admitted without override; a new session is refused; Retired refuses both")
    void existingSessionsContinueOnADeprecatedModel() {
        String tenant = unique("life2-sessions");
        String tag = unique("cont");
        String id = entryIn("dev-tiny", tag, ModelState.Active);
        String ref = "dev-tiny:" + tag;
        Map<String, Object> first = task(ref);
        String session = (String) first.get("session_id");
        submit(tenant, first);
        // A session that asked by entry id counts too.
        Map<String, Object> byId = task(id);
        String sessionById = (String) byId.get("session_id");
        submit(tenant, byId);

        asAdmin().contentType(ContentType.JSON).body(Map.of("state", "Deprecated", "reason", "superseded"))
                .post("/v1/catalog/models/" + id + "/state").then().statusCode(200);

        Map<String, Object> again = task(ref);
        again.put("session_id", session);
        submit(tenant, again);
        Map<String, Object> againById = task(ref);
        againById.put("session_id", sessionById);
        submit(tenant, againById);
        long tasks = countRows("tasks where tenant_id = '" + tenant + "'");
        as(tenant).contentType(ContentType.JSON).body(task(ref)).post("/v1/tasks").then().statusCode(410)
                .body("code", equalTo("MODEL_DEPRECATED"));
        assertThat(countRows("tasks where tenant_id = '" + tenant + "'")).isEqualTo(tasks);

        move(id, ModelState.Retired);
        Map<String, Object> afterRetire = task(ref);
        afterRetire.put("session_id", session);
        as(tenant).contentType(ContentType.JSON).body(afterRetire).post("/v1/tasks").then().statusCode(410)
                .body("code", equalTo("MODEL_DEPRECATED"));
    }

    @Test
    @DisplayName("LIFE-2 pools serving a Deprecated model keep serving its sessions until the deadline and are drained by it; on Retired they stop, the engine unloads the model and the entry is read-only")
    void poolsDrainByTheDeadlineAndUnloadOnRetirement() {
        String tenant = unique("life2-pools");
        String tag = unique("served");
        String id = asAdmin().contentType(ContentType.JSON)
                .body(TestSigner.signedModel("life-tiny", tag, "sha256:" + SluiceStack.LIFE_TINY_DIGEST)).post("/v1/catalog/models")
                .then().statusCode(201).extract().path("id");
        move(id, ModelState.Active);
        String ref = "life-tiny:" + tag;
        Await.until(Duration.ofSeconds(30), () -> "ready".equals(asAdmin().get("/v1/pools/pool-l").then().extract().path("state")),
                "pool-l is ready");
        Map<String, Object> first = task(ref);
        String session = (String) first.get("session_id");
        awaitSucceeded(tenant, submit(tenant, first));

        var deprecated = asAdmin().contentType(ContentType.JSON).body(Map.of("state", "Deprecated", "deadline_ms", 4000))
                .post("/v1/catalog/models/" + id + "/state").then().statusCode(200).extract().jsonPath();
        java.time.OffsetDateTime deadline = java.time.OffsetDateTime.parse(
                deprecated.getString("history[" + (deprecated.getList("history").size() - 1) + "].deadline_at"));
        // Before the deadline the pool serves the existing session.
        Map<String, Object> during = task(ref);
        during.put("session_id", session);
        String duringTask = submit(tenant, during);
        awaitSucceeded(tenant, duringTask);
        assertThat(as(tenant).get("/v1/tasks/" + duringTask).then().extract().<String>path("pool_id")).isEqualTo("pool-l");

        Await.until(Duration.ofSeconds(30), () -> asAdmin().get("/v1/pools/pool-l").then().extract().path("drain") != null,
                "pool-l drains once the deadline passed");
        var pool = asAdmin().get("/v1/pools/pool-l").then().statusCode(200).extract().jsonPath();
        assertThat(java.time.OffsetDateTime.parse(pool.getString("drain.started_at"))).isAfterOrEqualTo(deadline.minusSeconds(1));
        assertThat(java.time.OffsetDateTime.parse(pool.getString("drain.deadline_at"))).isBeforeOrEqualTo(deadline.plusSeconds(30));
        assertThat(pool.getString("state")).isIn("draining", "drained");

        move(id, ModelState.Retired);
        HttpClient http = HttpClient.newHttpClient();
        URI ready = URI.create(SluiceStack.engine("l0") + "/v2/models/life-tiny/ready");
        Await.until(Duration.ofSeconds(30), () -> status(http, ready) != 200, "the engine of pool-l unloaded life-tiny");
        asAdmin().get("/v1/catalog/models/" + id).then().statusCode(200).body("archived", equalTo(true)).body("state", equalTo("Retired"));
        asAdmin().post("/v1/catalog/models/" + id + "/verify").then().statusCode(409).body("code", equalTo("CONFLICT"));
        Map<String, Object> afterRetire = task(ref);
        afterRetire.put("session_id", session);
        as(tenant).contentType(ContentType.JSON).body(afterRetire).post("/v1/tasks").then().statusCode(410)
                .body("code", equalTo("MODEL_DEPRECATED"));
    }

    @Test
    @DisplayName("LIFE-1 the gauge model_state{model_id,state} is 1 for the entry's state and 0 for the others after every transition")
    void gaugeReflectsEveryTransition() {
        String id = ingest("dev-tiny", unique("gauge"));
        assertOnlyGauge(id, ModelState.Draft);
        for (ModelState to : List.of(ModelState.Active, ModelState.Canary, ModelState.Active, ModelState.Deprecated, ModelState.Retired)) {
            move(id, to);
            assertOnlyGauge(id, to);
        }
    }

    private static void assertOnlyGauge(String id, ModelState state) {
        String scrape = io.restassured.RestAssured.given().get("/q/metrics").then().statusCode(200).extract().asString();
        for (ModelState g : ModelState.values()) {
            assertThat(CatalogWalkthroughTest.gauge(scrape, id, g.name())).as("model_state %s of an entry %s", g, state)
                    .isEqualTo(g == state ? 1.0 : 0.0);
        }
    }

    private static int status(HttpClient http, URI uri) {
        try {
            return http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void awaitSucceeded(String tenant, String task) {
        Await.until(Duration.ofSeconds(30), () -> "succeeded".equals(as(tenant).get("/v1/tasks/" + task).then().statusCode(200)
                .extract().path("state")), "task " + task + " succeeded");
    }

    private static boolean overrideAccepted(String tenant, String ref) {
        Map<String, Object> t = task(ref);
        t.put("override", true);
        return as(tenant).contentType(ContentType.JSON).body(t).post("/v1/tasks").then().extract().statusCode() == 202;
    }

    @Test
    @DisplayName("catalog: a state change made directly in the database reaches admission through the change feed")
    void changeFeedRefreshesTheSnapshot() {
        String tenant = unique("life2-feed");
        String tag = unique("feed");
        String id = entryIn("dev-tiny", tag, ModelState.Active);
        submit(tenant, task("dev-tiny:" + tag));
        sql("update catalog_models set state = 'Retired', archived = true where id = '" + id + "'");
        Await.until(Duration.ofSeconds(20),
                () -> as(tenant).contentType(ContentType.JSON).body(task("dev-tiny:" + tag)).post("/v1/tasks").then().extract().statusCode() == 410,
                "the retirement is seen by admission");
    }
}
