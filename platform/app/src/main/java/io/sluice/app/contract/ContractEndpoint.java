package io.sluice.app.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.InputStream;

/**
 * Serves the contract file at {@code /q/openapi} exactly as it is in the repository (STYLE habit 4): the YAML
 * bytes by default, the same document as JSON for {@code Accept: application/json} or {@code ?format=json}.
 * No annotation scanning, so the served contract cannot drift from {@code openapi/sluice-v1.yaml}. Public,
 * like health and metrics (SEC-1).
 */
@ApplicationScoped
public class ContractEndpoint {
    public static final String PATH = "/q/openapi";

    /** Where the build puts {@code openapi/sluice-v1.yaml} on the classpath. */
    static final String RESOURCE = "META-INF/contract/sluice-v1.yaml";

    private byte[] yaml;
    private byte[] json;

    private void load() throws IOException {
        try (InputStream in = Thread.currentThread().getContextClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the contract " + RESOURCE + " is not on the classpath");
            }
            yaml = in.readAllBytes();
        }
        JsonNode doc = new YAMLMapper().readTree(yaml);
        json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(doc);
    }

    void install(@Observes Router router) throws IOException {
        load();
        router.get(PATH).handler(this::serve);
    }

    private void serve(RoutingContext ctx) {
        String accept = ctx.request().getHeader("Accept");
        boolean asJson = "json".equalsIgnoreCase(ctx.request().getParam("format"))
                || (accept != null && accept.contains("application/json"));
        ctx.response()
                .putHeader("Content-Type", asJson ? "application/json" : "application/yaml; charset=utf-8")
                .end(Buffer.buffer(asJson ? json : yaml));
    }
}
