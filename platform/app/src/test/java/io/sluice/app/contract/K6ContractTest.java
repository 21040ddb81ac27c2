package io.sluice.app.contract;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.app.testing.Contract;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.PathItem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The k6 scripts ({@code k6/}) call only what the contract defines. k6 cannot run here, so this reads the scripts:
 * every Sluice URL lives in the endpoint table of {@code k6/lib/endpoints.ts} (the type checker makes scripts name a
 * row of it), each row must be an operation of {@code openapi/sluice-v1.yaml}, and no script may reach Sluice around
 * the table (another HTTP call, another transport, or a literal API path). The self-tests plant each kind of
 * violation in a copy of the scripts and check that it is reported, so the check cannot pass by reading nothing.
 */
class K6ContractTest {
    private static final Path K6 = Path.of(System.getProperty("test.repo.root", "../.."), "k6");
    private static final String TABLE_FILE = "lib/endpoints.ts";
    /** The token endpoint is the OIDC provider's, read from the environment; this file may post to it and nothing else. */
    private static final String AUTH_FILE = "lib/auth.ts";

    private static final Pattern ROW = Pattern.compile(
            "^\\s*(\\w+): \\{ method: '(GET|POST|PUT|PATCH|DELETE)', path: '(/[^']*)' \\},\\s*$");
    private static final Pattern HTTP_CALL = Pattern.compile("\\bhttp\\.(\\w+)\\s*\\(\\s*([^,)]*)");
    private static final Pattern IMPORT = Pattern.compile("import\\s+([^;]*?)\\s+from\\s+'([^']+)'");
    private static final Pattern CALL = Pattern.compile("\\bcall\\(\\s*'(\\w+)'");
    private static final Pattern API_LITERAL = Pattern.compile("['\"`][^'\"`\\n]*(/v1/|/q/)[^'\"`\\n]*['\"`]");
    private static final Set<String> OTHER_TRANSPORTS = Set.of("k6/ws", "k6/net/grpc", "k6/experimental/websockets",
            "k6/experimental/streams", "k6/websockets", "k6/browser");
    private static final Set<String> HTTP_TYPES = Set.of("Params", "RefinedResponse", "RequestBody", "ResponseType", "FileData");

    @Test
    @DisplayName("PERF-1 every endpoint the k6 load scripts call exists in the contract with that method")
    void scriptsCallOnlyContractOperations() {
        Map<String, String> table = endpointTable(K6, new ArrayList<>());
        assertThat(table).as("endpoint table of k6/%s", TABLE_FILE).containsKeys("submitTask", "streamTask");
        assertThat(violations(K6, Contract.model())).isEmpty();
        // Each load script really calls Sluice through the table (a script that calls nothing would check nothing).
        for (Path script : scripts(K6)) {
            assertThat(CALL.matcher(read(script)).find()).as("%s calls an endpoint of the table", script.getFileName()).isTrue();
        }
    }

    @Test
    @DisplayName("a table row with a path or a method the contract lacks is reported")
    void reportsRowsOutsideTheContract(@TempDir Path copy) throws IOException {
        copyScripts(copy);
        Path table = copy.resolve(TABLE_FILE);
        String text = Files.readString(table);
        Files.writeString(table, text.replace("  getTask: {", "  bogus: { method: 'GET', path: '/v1/tasks/{task_id}/bogus' },\n  getTask: {")
                .replace("putTenant: { method: 'PUT'", "putTenant: { method: 'DELETE'"));
        assertThat(violations(copy, Contract.model()))
                .anyMatch(v -> v.contains("GET /v1/tasks/{task_id}/bogus"))
                .anyMatch(v -> v.contains("DELETE /v1/tenants/{tenant_id}"));
    }

    @Test
    @DisplayName("a script reaching Sluice around the table (raw http call, literal API path, other transport) is reported")
    void reportsCallsAroundTheTable(@TempDir Path copy) throws IOException {
        copyScripts(copy);
        Path streams = copy.resolve("streams.ts");
        Files.writeString(streams, Files.readString(streams)
                + "\nimport http from 'k6/http';\nimport ws from 'k6/ws';\nexport function sneak(): void { http.get(BASE + '/v1/undefined/path'); }\n");
        Path auth = copy.resolve(AUTH_FILE);
        Files.writeString(auth, Files.readString(auth) + "\nexport function other(): void { http.post(__ENV.SLUICE_URL + '/v1/tasks', '{}'); }\n");
        assertThat(violations(copy, Contract.model()))
                .anyMatch(v -> v.contains("streams.ts") && v.contains("http.get"))
                .anyMatch(v -> v.contains("streams.ts") && v.contains("/v1/undefined/path"))
                .anyMatch(v -> v.contains("streams.ts") && v.contains("k6/ws"))
                .anyMatch(v -> v.contains("auth.ts") && v.contains("http.post"));
    }

    @Test
    @DisplayName("a table row the check cannot parse is reported rather than skipped")
    void reportsUnparsableRows(@TempDir Path copy) throws IOException {
        copyScripts(copy);
        Path table = copy.resolve(TABLE_FILE);
        Files.writeString(table, Files.readString(table).replace("  getTask: { method: 'GET', path: '/v1/tasks/{task_id}' },",
                "  getTask: { path: '/v1/nowhere', method: 'GET' },"));
        assertThat(violations(copy, Contract.model())).anyMatch(v -> v.contains("cannot parse") && v.contains("/v1/nowhere"));
    }

    /** Everything wrong with the scripts under {@code k6Dir}, one readable line each; empty when all is well. */
    static List<String> violations(Path k6Dir, OpenAPI contract) {
        List<String> found = new ArrayList<>();
        Map<String, String> table = endpointTable(k6Dir, found);
        if (table.isEmpty()) {
            found.add(TABLE_FILE + ": no endpoint rows found");
        }
        table.forEach((name, endpoint) -> {
            String method = endpoint.substring(0, endpoint.indexOf(' '));
            String path = endpoint.substring(endpoint.indexOf(' ') + 1);
            PathItem item = contract.getPaths().get(path);
            if (item == null || !item.readOperationsMap().containsKey(PathItem.HttpMethod.valueOf(method))) {
                found.add(TABLE_FILE + ": " + name + " = " + endpoint + " is not an operation of the contract");
            }
        });
        for (Path file : typeScriptFiles(k6Dir)) {
            String rel = k6Dir.relativize(file).toString().replace('\\', '/');
            String text = read(file);
            checkImports(rel, text, found);
            if (!rel.equals(TABLE_FILE)) {
                Matcher http = HTTP_CALL.matcher(text);
                while (http.find()) {
                    boolean fileUpload = http.group(1).equals("file");
                    boolean tokenRequest = rel.equals(AUTH_FILE) && http.group(1).equals("post") && http.group(2).trim().equals("tokenUrl");
                    if (!fileUpload && !tokenRequest) {
                        found.add(rel + ": http." + http.group(1) + "(" + http.group(2).trim() + ") calls around the endpoint table");
                    }
                }
                Matcher literal = API_LITERAL.matcher(text);
                while (literal.find()) {
                    found.add(rel + ": API path literal " + literal.group() + " outside the endpoint table");
                }
            }
            Matcher call = CALL.matcher(text);
            while (call.find()) {
                if (!table.containsKey(call.group(1))) {
                    found.add(rel + ": call('" + call.group(1) + "') names no row of the endpoint table");
                }
            }
        }
        return found;
    }

    private static void checkImports(String rel, String text, List<String> found) {
        Matcher imp = IMPORT.matcher(text);
        while (imp.find()) {
            String what = imp.group(1).trim();
            String module = imp.group(2);
            if (OTHER_TRANSPORTS.contains(module)) {
                found.add(rel + ": imports " + module + ", a transport the contract check cannot follow");
            }
            if (module.equals("k6/http")) {
                // Only the default import under its usual name (so http.* calls are seen) plus type-only names.
                String named = what.contains("{") ? what.substring(what.indexOf('{') + 1, what.lastIndexOf('}')) : "";
                String defaultName = what.contains("{") ? what.substring(0, what.indexOf('{')).replace(",", "").trim() : what;
                if (!defaultName.isEmpty() && !defaultName.equals("http")) {
                    found.add(rel + ": imports k6/http as '" + defaultName + "'; import it as 'http'");
                }
                for (String n : named.split(",")) {
                    String name = n.trim();
                    if (!name.isEmpty() && !HTTP_TYPES.contains(name)) {
                        found.add(rel + ": imports " + name + " from k6/http; call Sluice through lib/endpoints.ts");
                    }
                }
            }
        }
    }

    /** Rows of the table, name to "METHOD /path"; lines inside the table that are not a row are reported. */
    private static Map<String, String> endpointTable(Path k6Dir, List<String> found) {
        String text = read(k6Dir.resolve(TABLE_FILE));
        int start = text.indexOf("export const ENDPOINTS = {");
        int end = text.indexOf("} as const", start);
        Map<String, String> rows = new LinkedHashMap<>();
        if (start < 0 || end < 0) {
            found.add(TABLE_FILE + ": no 'export const ENDPOINTS = { ... } as const' table");
            return rows;
        }
        String body = text.substring(text.indexOf('\n', start) + 1, end);
        for (String line : body.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Matcher m = ROW.matcher(line);
            if (!m.matches()) {
                found.add(TABLE_FILE + ": cannot parse the row '" + line.trim() + "'");
            } else if (rows.put(m.group(1), m.group(2) + " " + m.group(3)) != null) {
                found.add(TABLE_FILE + ": row " + m.group(1) + " twice");
            }
        }
        return rows;
    }

    private static List<Path> typeScriptFiles(Path k6Dir) {
        try (Stream<Path> files = Files.walk(k6Dir)) {
            return files.filter(f -> f.toString().endsWith(".ts")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> scripts(Path k6Dir) {
        return typeScriptFiles(k6Dir).stream().filter(f -> f.getParent().equals(k6Dir)).toList();
    }

    private static void copyScripts(Path target) throws IOException {
        for (Path f : typeScriptFiles(K6)) {
            Path to = target.resolve(K6.relativize(f).toString());
            Files.createDirectories(to.getParent());
            Files.copy(f, to);
        }
        assertThat(violations(target, Contract.model())).as("the unmodified copy is clean").isEmpty();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
