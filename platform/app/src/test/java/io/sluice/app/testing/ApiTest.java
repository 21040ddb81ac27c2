package io.sluice.app.testing;

import static io.restassured.RestAssured.given;

import io.quarkus.test.common.QuarkusTestResource;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Base of the API tests: RestAssured with the contract filter on every call, tokens from the real issuer,
 * and task bodies. Every subclass runs under the same Quarkus instance ({@link SluiceStack}).
 */
@QuarkusTestResource(SluiceStack.class)
public abstract class ApiTest {

    protected static String tenantToken(String tenant) {
        return SluiceStack.issuer().tenantToken(tenant);
    }

    protected static String adminToken() {
        return SluiceStack.issuer().adminToken("ops");
    }

    /** A request as {@code tenant}, validated against the contract. */
    protected static RequestSpecification as(String tenant) {
        return given().filter(Contract.STRICT).header("Authorization", "Bearer " + tenantToken(tenant));
    }

    protected static RequestSpecification asAdmin() {
        return given().filter(Contract.STRICT).header("Authorization", "Bearer " + adminToken());
    }

    protected static String baseUrl() {
        // The test port is chosen by the OS (quarkus.http.test-port=0); Quarkus hands the bound one to RestAssured.
        return "http://localhost:" + io.restassured.RestAssured.port;
    }

    /** Rows in a table of the test database, for "nothing stored changed" assertions. */
    protected static long countRows(String sqlFrom) {
        try (var c = java.sql.DriverManager.getConnection(SluiceStack.database().jdbcUrl(), "postgres", "postgres");
                var st = c.createStatement();
                var rs = st.executeQuery("select count(*) from " + sqlFrom)) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs one SQL statement against the test database. */
    protected static int sql(String statement) {
        try (var c = java.sql.DriverManager.getConnection(SluiceStack.database().jdbcUrl(), "postgres", "postgres");
                var st = c.createStatement()) {
            return st.executeUpdate(statement);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A valid completion task for {@code model}. */
    protected static Map<String, Object> task(String model) {
        Map<String, Object> b = new HashMap<>();
        b.put("task_id", UUID.randomUUID().toString());
        b.put("session_id", UUID.randomUUID().toString());
        b.put("workload", "completion");
        b.put("model_ref", model);
        b.put("priority", "interactive");
        b.put("determinism", "strict");
        b.put("prompt", "Hello, Sluice");
        b.put("max_tokens", 16);
        b.put("deadline_ms", 60000);
        b.put("kv_hint", "cold");
        return b;
    }

    protected static String submit(String tenant, Map<String, Object> body) {
        as(tenant).contentType(ContentType.JSON).body(body).post("/v1/tasks").then().statusCode(202);
        return (String) body.get("task_id");
    }
}
