package io.sluice.app.contract;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Contract;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ContractTest extends ApiTest {
    /** Operations whose implementation has landed; every other one must answer the typed 501. */
    private static final Set<String> IMPLEMENTED = Set.of("submitTask", "listTasks", "getTask", "streamTask", "cancelTask", "listPolicies", "getPolicy",
            "uploadPolicyVersion", "listPolicyVersions", "getPolicyVersion", "getPolicyBinding", "putPolicyBinding", "deletePolicyBinding",
            "getSession", "deleteSession", "listPools", "getPool", "getPoolHealth", "drainPool", "reloadPool", "listReplicaSets",
            "getCapabilities",
            "createModel", "listModels", "getModel", "verifyModel", "changeModelState", "listModelTransitions", "listAliases", "getAlias",
            "putAlias", "rollbackAlias", "createArtifact", "getArtifact",
            "listTenants", "getTenant", "putTenant", "getTenantQuotas", "putTenantQuotas", "listTenantIdentities", "mapTenantIdentity",
            "createChatCompletion", "createCompletion", "listOpenAiModels",
            "getPolicyShadow", "putPolicyShadow", "deletePolicyShadow", "getPolicyShadowReport", "replayPolicy", "getPolicySettings",
            "putPolicySettings");

    @Test
    @DisplayName("the served /q/openapi is the contract file, as YAML and as JSON")
    void servesTheContractVerbatim() throws Exception {
        byte[] file = Files.readAllBytes(Contract.FILE);
        byte[] served = given().get("/q/openapi").then().statusCode(200).extract().asByteArray();
        assertThat(served).isEqualTo(file);
        String json = given().header("Accept", "application/json").get("/q/openapi").then().statusCode(200)
                .contentType("application/json").extract().asString();
        JsonNode fromFile = new YAMLMapper().readTree(file);
        assertThat(new ObjectMapper().readTree(json)).isEqualTo(fromFile);
        assertThat(fromFile.path("info").path("version").asText()).isEqualTo("1.0.0");
    }

    @Test
    @DisplayName("every contract operation not implemented yet answers a typed, documented 501 NOT_IMPLEMENTED")
    void notImplementedOperationsAnswer501() {
        List<String> checked = new ArrayList<>();
        int operations = 0;
        for (Map.Entry<String, PathItem> p : Contract.model().getPaths().entrySet()) {
            for (Map.Entry<PathItem.HttpMethod, Operation> op : p.getValue().readOperationsMap().entrySet()) {
                Operation o = op.getValue();
                operations++;
                if (IMPLEMENTED.contains(o.getOperationId())) {
                    continue;
                }
                @SuppressWarnings("unchecked")
                List<String> roles = (List<String>) o.getExtensions().get("x-sluice-roles");
                String token = roles.contains("tenant") ? tenantToken("contract-tenant") : adminToken();
                String path = p.getKey()
                        .replaceAll("\\{(task_id|session_id|model_id)}", UUID.randomUUID().toString())
                        .replace("{artifact_id}", "sha256:" + "ab".repeat(32))
                        .replace("{version}", "1.0.0")
                        .replaceAll("\\{[a-z_]+}", "x1");
                // The bodies are a bare {} (deliberately short of each operation's schema), so only responses are validated.
                RequestSpecification req = given().filter(Contract.RESPONSES_ONLY).header("Authorization", "Bearer " + token);
                if (o.getRequestBody() != null) {
                    req = req.contentType("application/json").body("{}");
                }
                req.request(op.getKey().name(), path).then()
                        .statusCode(501)
                        .body("code", equalTo("NOT_IMPLEMENTED"))
                        .body("message", org.hamcrest.Matchers.containsString(o.getOperationId()));
                checked.add(o.getOperationId());
            }
        }
        assertThat(checked).hasSize(operations - IMPLEMENTED.size());
    }
}
