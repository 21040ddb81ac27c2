package io.sluice.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class DevIssuerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode claims(String jwt) throws Exception {
        String[] parts = jwt.split("\\.");
        assertThat(parts).hasSize(3);
        return JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
    }

    @Test
    @DisplayName("the dev issuer mints signed tenant and admin tokens with role claims and serves discovery")
    void mintsTokens() throws Exception {
        try (DevIssuer issuer = DevIssuer.start(0)) {
            JsonNode tenant = claims(issuer.tenantToken("acme"));
            assertThat(tenant.path("tenant_id").asText()).isEqualTo("acme");
            assertThat(tenant.path("roles").get(0).asText()).isEqualTo("tenant");
            assertThat(tenant.path("iss").asText()).isEqualTo(issuer.issuerUrl());
            assertThat(tenant.path("aud").toString()).contains(DevIssuer.AUDIENCE);
            JsonNode admin = claims(issuer.adminToken("ops"));
            assertThat(admin.has("tenant_id")).isFalse();
            assertThat(admin.path("roles").get(0).asText()).isEqualTo("admin");
            JsonNode expired = claims(issuer.token("x", java.util.Map.of(), -600));
            assertThat(expired.path("exp").asLong()).isLessThan(System.currentTimeMillis() / 1000);
            HttpResponse<String> discovery = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(issuer.issuerUrl() + "/.well-known/openid-configuration")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(discovery.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(discovery.body()).path("jwks_uri").asText()).startsWith("http://");
            assertThat(URI.create(issuer.issuerUrl()).getHost()).isIn("127.0.0.1", "localhost");
        }
    }
}
