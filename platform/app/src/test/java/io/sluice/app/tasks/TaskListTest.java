package io.sluice.app.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Sse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/tasks}: the caller's own tasks, newest first, filtered and paged by an opaque cursor (SEC-3). */
@QuarkusTest
class TaskListTest extends ApiTest {
    private static final String TENANT = "list-tenant";

    @Test
    @DisplayName("SEC-3 a listing pages through the tenant's own tasks newest first, without gaps or repeats")
    void pagesNewestFirst() throws Exception {
        String session = UUID.randomUUID().toString();
        List<String> submitted = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Map<String, Object> body = task("dev-tiny");
            body.put("session_id", session);
            submitted.add(submit(TENANT, body));
        }
        String foreign = submit("list-other", task("dev-tiny"));

        List<String> listed = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            var req = as(TENANT).queryParam("session_id", session).queryParam("limit", 2);
            if (cursor != null) {
                req = req.queryParam("cursor", cursor);
            }
            Response r = req.get("/v1/tasks");
            r.then().statusCode(200);
            List<String> ids = r.path("items.task_id");
            assertThat(ids.size()).isLessThanOrEqualTo(2);
            listed.addAll(ids);
            cursor = r.path("next_cursor");
            pages++;
        } while (cursor != null && pages < 10);

        assertThat(pages).isEqualTo(3);
        List<String> newestFirst = new ArrayList<>(submitted);
        java.util.Collections.reverse(newestFirst);
        assertThat(listed).containsExactlyElementsOf(newestFirst);
        assertThat(listed).doesNotContain(foreign);
    }

    @Test
    @DisplayName("a listing filters by state and model")
    void filters() {
        String id = submit(TENANT, task("dev-tiny"));
        List<Sse.Event> events = Sse.readAll(baseUrl() + "/v1/tasks/" + id + "/stream", tenantToken(TENANT));
        assertThat(events.get(events.size() - 1).name()).isEqualTo("end");

        List<String> succeeded = as(TENANT).queryParam("state", "succeeded").queryParam("model_ref", "dev-tiny").queryParam("limit", 500)
                .get("/v1/tasks").then().statusCode(200).extract().path("items.task_id");
        assertThat(succeeded).contains(id);
        List<String> states = as(TENANT).queryParam("state", "canceled").get("/v1/tasks").then().statusCode(200)
                .extract().path("items.state");
        assertThat(states).allMatch("canceled"::equals);
        as(TENANT).queryParam("model_ref", "no-such-model").get("/v1/tasks").then().statusCode(200).body("items.size()", equalTo(0));
    }

    @Test
    @DisplayName("REL-3 bad listing parameters answer 400 INVALID_PARAMS naming the parameter")
    void badParameters() {
        // the requests break the contract on purpose: only the answers are validated
        var lenient = (java.util.function.Supplier<io.restassured.specification.RequestSpecification>) () -> io.restassured.RestAssured.given()
                .filter(io.sluice.app.testing.Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + tenantToken(TENANT));
        lenient.get().queryParam("limit", 0).get("/v1/tasks").then().statusCode(400).body("field", equalTo("query.limit"));
        lenient.get().queryParam("state", "sleeping").get("/v1/tasks").then().statusCode(400).body("field", equalTo("query.state"));
        lenient.get().queryParam("session_id", "not-a-uuid").get("/v1/tasks").then().statusCode(400)
                .body("field", equalTo("query.session_id"));
        lenient.get().queryParam("cursor", "bm90IGEgY3Vyc29y").get("/v1/tasks").then().statusCode(400)
                .body("code", equalTo("INVALID_PARAMS")).body("field", equalTo("query.cursor"));
    }

    @Test
    @DisplayName("SEC-2 SEC-3 an admin lists any one tenant's tasks by tenant_id, paged newest first; without it 403; a tenant"
            + " token using tenant_id answers 403 FORBIDDEN, even for its own id")
    void adminListsAnyTenant() {
        String tenant = "list-admin-" + UUID.randomUUID().toString().substring(0, 8);
        String session = UUID.randomUUID().toString();
        List<String> submitted = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Map<String, Object> body = task("dev-tiny");
            body.put("session_id", session);
            submitted.add(submit(tenant, body));
        }
        String foreign = submit("list-admin-other", task("dev-tiny"));

        List<String> listed = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            var req = asAdmin().queryParam("tenant_id", tenant).queryParam("limit", 2);
            if (cursor != null) {
                req = req.queryParam("cursor", cursor);
            }
            Response r = req.get("/v1/tasks");
            r.then().statusCode(200);
            listed.addAll(r.path("items.task_id"));
            cursor = r.path("next_cursor");
            pages++;
        } while (cursor != null && pages < 10);
        List<String> newestFirst = new ArrayList<>(submitted);
        java.util.Collections.reverse(newestFirst);
        assertThat(pages).isEqualTo(2);
        assertThat(listed).containsExactlyElementsOf(newestFirst).doesNotContain(foreign);
        // the filters apply as for a tenant
        asAdmin().queryParam("tenant_id", tenant).queryParam("session_id", session).queryParam("model_ref", "no-such-model")
                .get("/v1/tasks").then().statusCode(200).body("items.size()", equalTo(0));
        asAdmin().queryParam("tenant_id", "list-admin-never-seen").get("/v1/tasks").then().statusCode(200)
                .body("items.size()", equalTo(0));

        asAdmin().get("/v1/tasks").then().statusCode(403).body("code", equalTo("FORBIDDEN"));
        as(tenant).queryParam("tenant_id", "list-admin-other").get("/v1/tasks").then().statusCode(403)
                .body("code", equalTo("FORBIDDEN"));
        as(tenant).queryParam("tenant_id", tenant).get("/v1/tasks").then().statusCode(403).body("code", equalTo("FORBIDDEN"));
        io.restassured.RestAssured.given().filter(io.sluice.app.testing.Contract.RESPONSES_ONLY)
                .header("Authorization", "Bearer " + adminToken()).queryParam("tenant_id", "-bad id").get("/v1/tasks").then()
                .statusCode(400).body("field", equalTo("query.tenant_id"));
    }
}
