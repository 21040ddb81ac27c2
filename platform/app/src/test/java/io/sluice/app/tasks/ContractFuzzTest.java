package io.sluice.app.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.test.junit.QuarkusTest;
import io.sluice.app.testing.ApiTest;
import io.sluice.app.testing.Contract;
import io.sluice.app.testing.SluiceStack;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Fuzzes the public API from the contract's request shapes: mutated and random bodies, invalid UTF-8, huge and deeply
 * nested JSON, wrong content types, abused headers and path tricks, sent over a raw socket so that nothing in a client
 * library tidies the bytes up. For every answer: no 500, no other 5xx the contract does not document, the answer
 * valid against the contract on contract paths (a 4xx elsewhere), and when the request was refused, no row added to
 * or removed from the stored tables. The process must still be live at the end.
 *
 * <p>Seeded: case {@code i} of a run uses seed {@code base + i}, so a failing case is replayed from its seed alone.
 * Seeds of past failures live in {@code src/test/resources/fuzz/regressions.txt} and run first, every time. Bounded:
 * {@code -Dfuzz.seconds} (default 30) and {@code -Dfuzz.cases} (default 3000); {@code -Dfuzz.seed}
 * changes the base. A longer run: {@code -Dfuzz.seconds=1800 -Dfuzz.cases=1000000}.
 *
 * <p>One exception to "valid against the contract": requests whose request line or headers are malformed at the HTTP
 * level (not JSON, not a route) may be answered by the HTTP server before any route runs, with 400, 414 or 431 and no
 * contract body; the contract cannot speak for bytes that are not an HTTP request to one of its operations.
 */
@QuarkusTest
class ContractFuzzTest extends ApiTest {
    private static final String TENANT = "fuzz-tenant";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TABLES = List.of("tasks", "sessions", "task_events", "policy_modules", "policy_versions",
            "policy_bindings", "tenants", "tenant_quotas", "tenant_identities", "catalog_models", "catalog_aliases", "artifacts");
    private static final OpenApiInteractionValidator VALIDATOR =
            OpenApiInteractionValidator.createForSpecificationUrl(Contract.FILE.toUri().toString()).build();
    private static final Path REGRESSIONS = Path.of("src/test/resources/fuzz/regressions.txt");

    /** One operation of the contract the fuzzer aims at, with a body the contract accepts. */
    private record Target(String method, String path, boolean admin, String validBody) {}

    /** What one case sends; {@code httpLevel} marks requests that are malformed below the API (see class javadoc). */
    private record Case(long seed, String kind, String method, String target, Map<String, String> headers, byte[] body, boolean httpLevel) {
        String describe() {
            String shown = new String(body, 0, Math.min(body.length, 160), StandardCharsets.ISO_8859_1);
            return "seed " + seed + " [" + kind + "] " + method + " " + abbreviate(target) + " headers " + abbreviateHeaders(headers)
                    + " body(" + body.length + " bytes) " + shown.replaceAll("[^\\x20-\\x7e]", "?");
        }
    }

    private record Answer(int status, Map<String, List<String>> headers, String body) {}

    private String tenantToken;
    private String adminToken;

    @Test
    @DisplayName("REL-3 fuzzed requests never crash Sluice, get no undocumented 5xx, answer per the contract and change nothing stored when refused")
    void fuzzedRequestsAreRefusedCleanly() throws Exception {
        tenantToken = tenantToken(TENANT);
        adminToken = adminToken();
        List<Long> seeds = new ArrayList<>(regressionSeeds());
        long base = Long.getLong("fuzz.seed", 20261202L);
        long seconds = Long.getLong("fuzz.seconds", 30);
        int maxCases = Integer.getInteger("fuzz.cases", 3000);
        long until = System.nanoTime() + seconds * 1_000_000_000L;
        List<String> failures = new ArrayList<>();
        int run = 0;
        Map<String, Long> before = counts();
        for (int i = 0; failures.size() < 5; i++) {
            long seed;
            if (i < seeds.size()) {
                seed = seeds.get(i);
            } else {
                if (System.nanoTime() > until || run >= maxCases) {
                    break;
                }
                seed = base + (i - seeds.size());
            }
            Case c = generate(seed);
            Answer a;
            try {
                a = send(c);
            } catch (IOException e) {
                failures.add(c.describe() + " -> no answer: " + e);
                continue;
            }
            run++;
            String problem = judge(c, a);
            Map<String, Long> after = counts();
            if (problem == null && a.status() >= 400 && !after.equals(before)) {
                problem = "refused with " + a.status() + " but stored rows changed: " + before + " -> " + after;
            }
            if (problem != null) {
                failures.add(c.describe() + " -> " + a.status() + " " + abbreviate(a.body()) + ": " + problem);
            }
            before = after;
        }
        System.out.printf("ContractFuzzTest: %d cases (%d regression seeds, base seed %d)%n", run, seeds.size(), base);
        assertThat(failures).as("fuzz failures (add the seed to %s once fixed)", REGRESSIONS).isEmpty();
        assertThat(run).as("cases run").isGreaterThan(seeds.size());
        assertThat(send(new Case(0, "live", "GET", "/q/health/live", Map.of(), new byte[0], false)).status()).isEqualTo(200);
    }

    // ---- oracle -------------------------------------------------------------------------------------------------

    private static String judge(Case c, Answer a) {
        if (a.status() == 500) {
            return "a 500: bad input must get a typed 4xx";
        }
        if (c.httpLevel() && (a.status() == 400 || a.status() == 414 || a.status() == 431)) {
            return null;
        }
        String path = normalized(pathOnly(c.target()));
        SimpleResponse.Builder response = SimpleResponse.Builder.status(a.status()).withBody(a.body());
        a.headers().forEach((name, values) -> response.withHeader(name, values));
        ValidationReport report = VALIDATOR.validateResponse(path, Request.Method.valueOf(c.method()), response.build());
        // The validator matches paths ignoring case; the server does not (/V1/tasks is no resource), so only an exact
        // prefix counts as a contract path.
        boolean onContractPath = path.startsWith("/v1/") && report.getMessages().stream().noneMatch(m -> m.getKey().endsWith("path.missing")
                || m.getKey().endsWith("operation.notAllowed"));
        if (!onContractPath) {
            return a.status() >= 400 && a.status() < 500 ? null : "a path outside the contract answered " + a.status();
        }
        return report.hasErrors() ? "answer violates the contract: " + report.getMessages() : null;
    }

    /** Row counts of the stored tables, read in one statement. */
    private static Map<String, Long> counts() {
        String sql = "select " + String.join(", ", TABLES.stream().map(t -> "(select count(*) from " + t + ")").toList());
        try (var c = java.sql.DriverManager.getConnection(SluiceStack.database().jdbcUrl(), "postgres", "postgres");
                var st = c.createStatement();
                var rs = st.executeQuery(sql)) {
            rs.next();
            Map<String, Long> m = new LinkedHashMap<>();
            for (int i = 0; i < TABLES.size(); i++) {
                m.put(TABLES.get(i), rs.getLong(i + 1));
            }
            return m;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- generation ---------------------------------------------------------------------------------------------

    private List<Target> targets() {
        String task = taskJson();
        return List.of(
                new Target("POST", "/v1/tasks", false, task),
                new Target("POST", "/v1/tasks", false, task),
                new Target("POST", "/v1/tasks", false, task),
                new Target("PUT", "/v1/policies/fuzz-policy/binding", false,
                        "{\"version\":\"1.0.0\",\"hooks\":[\"admit\"],\"failure_mode\":\"fail_closed\"}"),
                new Target("PUT", "/v1/tenants/fuzz-registered", true, "{\"display_name\":\"Fuzz\",\"weight\":2,\"labels\":{\"a\":\"b\"}}"),
                new Target("PUT", "/v1/tenants/fuzz-registered/quotas", true, "{\"rps\":50,\"burst\":100,\"max_concurrent\":8}"),
                new Target("POST", "/v1/tasks/" + UUID.randomUUID() + "/cancel", false, ""),
                new Target("GET", "/v1/tasks?limit=10", false, ""),
                new Target("DELETE", "/v1/sessions/" + UUID.randomUUID(), false, ""));
    }

    private static String taskJson() {
        try {
            return JSON.writeValueAsString(task("dev-tiny"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Case generate(long seed) throws IOException {
        Random r = new Random(seed);
        List<Target> targets = targets();
        Target t = targets.get(r.nextInt(targets.size()));
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Authorization", "Bearer " + (t.admin() ? adminToken : tenantToken));
        headers.put("Content-Type", "application/json");
        String target = t.path();
        byte[] body = t.validBody().getBytes(StandardCharsets.UTF_8);
        boolean httpLevel = false;
        String kind;
        switch (r.nextInt(10)) {
            case 0, 1 -> {
                kind = "mutated-field";
                body = mutateField(t.validBody(), r).getBytes(StandardCharsets.UTF_8);
            }
            case 2 -> {
                kind = "random-bytes";
                body = new byte[r.nextInt(2048)];
                r.nextBytes(body);
            }
            case 3 -> {
                kind = "invalid-utf8";
                body = body.length == 0 ? new byte[] {'{', (byte) 0xC3, '}'} : body.clone();
                byte[] bad = {(byte) 0xC0, (byte) 0xFF, (byte) 0x80, (byte) 0xED, (byte) 0xF8, (byte) 0xC3};
                for (int k = 0; k < 1 + r.nextInt(4); k++) {
                    body[r.nextInt(body.length)] = bad[r.nextInt(bad.length)];
                }
            }
            case 4 -> {
                kind = "deep-nesting";
                int depth = 500 + r.nextInt(60_000);
                boolean arrays = r.nextBoolean();
                String open = arrays ? "[" : "{\"a\":";
                String close = arrays ? "]" : "}";
                String nested = open.repeat(depth) + "1" + close.repeat(depth);
                body = (r.nextBoolean() ? nested : mutateWith(t.validBody(), "labels", nested)).getBytes(StandardCharsets.UTF_8);
            }
            case 5 -> {
                kind = "huge";
                int size = 100_000 + r.nextInt(1_200_000);
                String huge = switch (r.nextInt(3)) {
                    case 0 -> "\"" + "x".repeat(size) + "\"";
                    case 1 -> "[" + "1,".repeat(size / 2) + "1]";
                    default -> "9".repeat(Math.min(size, 200_000));
                };
                body = mutateWith(t.validBody(), pickField(t.validBody(), r), huge).getBytes(StandardCharsets.UTF_8);
            }
            case 6 -> {
                kind = "content-type";
                String[] types = {"text/plain", "application/xml", "multipart/form-data; boundary=x", "application/json; charset=ISO-8859-1",
                        "application/x-www-form-urlencoded", "", "application/json;;;", "*/*", "application/wasm", "APPLICATION/JSON"};
                String type = types[r.nextInt(types.length)];
                if (type.isEmpty()) {
                    headers.remove("Content-Type");
                } else {
                    headers.put("Content-Type", type);
                }
            }
            case 7 -> {
                kind = "headers";
                httpLevel = abuseHeaders(headers, r);
            }
            case 8 -> {
                kind = "path";
                target = pathTrick(t.path(), r);
                httpLevel = true;
            }
            default -> {
                kind = "missing-or-extra";
                body = missingOrExtra(t.validBody(), r).getBytes(StandardCharsets.UTF_8);
            }
        }
        return new Case(seed, kind, t.method(), target, headers, body, httpLevel);
    }

    private static String pickField(String validBody, Random r) throws IOException {
        if (validBody.isEmpty()) {
            return "x";
        }
        List<String> names = new ArrayList<>();
        JSON.readTree(validBody).fieldNames().forEachRemaining(names::add);
        return names.get(r.nextInt(names.size()));
    }

    private static String mutateField(String validBody, Random r) throws IOException {
        if (validBody.isEmpty()) {
            return randomJson(r, 3);
        }
        return mutateWith(validBody, pickField(validBody, r), randomJson(r, 3));
    }

    /** The valid body with member {@code field} set to the raw JSON text {@code rawValue} (possibly not JSON at all). */
    private static String mutateWith(String validBody, String field, String rawValue) throws IOException {
        if (validBody.isEmpty()) {
            return rawValue;
        }
        ObjectNode node = (ObjectNode) JSON.readTree(validBody);
        node.remove(field);
        String rest = JSON.writeValueAsString(node);
        return rest.length() <= 2 ? "{\"" + field + "\":" + rawValue + "}" : rest.substring(0, rest.length() - 1) + ",\"" + field + "\":" + rawValue + "}";
    }

    private static String missingOrExtra(String validBody, Random r) throws IOException {
        if (validBody.isEmpty()) {
            return "{\"unexpected\":true}";
        }
        ObjectNode node = (ObjectNode) JSON.readTree(validBody);
        if (r.nextBoolean()) {
            node.remove(pickField(validBody, r));
        } else {
            node.set(randomString(r, 12), JSON.readTree(randomJson(r, 2)));
        }
        return JSON.writeValueAsString(node);
    }

    private static String randomJson(Random r, int depth) {
        int kind = r.nextInt(depth <= 0 ? 7 : 9);
        return switch (kind) {
            case 0 -> "null";
            case 1 -> Boolean.toString(r.nextBoolean());
            case 2 -> Long.toString(r.nextLong());
            case 3 -> Double.toString(r.nextGaussian() * 1e6);
            case 4 -> "1e" + r.nextInt(400);
            case 5 -> quoted(randomString(r, 40));
            case 6 -> List.of("0", "-1", "2147483648", "9223372036854775808", "-0", "0.0", "\"\"", "\"\\u0000\"", "\"\\ud800\"", "[]", "{}")
                    .get(r.nextInt(11));
            case 7 -> {
                StringBuilder sb = new StringBuilder("[");
                for (int i = r.nextInt(4); i > 0; i--) {
                    sb.append(randomJson(r, depth - 1)).append(i > 1 ? "," : "");
                }
                yield sb.append(']').toString();
            }
            default -> {
                StringBuilder sb = new StringBuilder("{");
                for (int i = r.nextInt(4); i > 0; i--) {
                    // The key is escaped like any JSON string: random text may hold control characters.
                    sb.append(quoted(randomString(r, 8))).append(':').append(randomJson(r, depth - 1)).append(i > 1 ? "," : "");
                }
                yield sb.append('}').toString();
            }
        };
    }

    private static String quoted(String text) {
        try {
            return JSON.writeValueAsString(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String randomString(Random r, int maxLength) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(maxLength + 1);
        for (int i = 0; i < n; i++) {
            int pick = r.nextInt(10);
            sb.appendCodePoint(pick < 6 ? 'a' + r.nextInt(26) : pick < 7 ? r.nextInt(32) : pick < 9 ? 0x80 + r.nextInt(0x2000) : 0x1F600 + r.nextInt(64));
        }
        return sb.toString();
    }

    /** Abuses one header; answers whether the result is malformed at the HTTP level. */
    private boolean abuseHeaders(Map<String, String> headers, Random r) {
        switch (r.nextInt(9)) {
            case 0 -> headers.put("Authorization", "Bearer");
            case 1 -> headers.put("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString("a:b".getBytes(StandardCharsets.UTF_8)));
            case 2 -> headers.put("Authorization", "Bearer " + tenantToken.substring(0, tenantToken.length() - 1 - r.nextInt(10)));
            case 3 -> headers.put("Authorization", "Bearer " + "A".repeat(4_000 + r.nextInt(4_000)));
            case 4 -> {
                // Printable ASCII is a header value the API must handle; other bytes are refused by the HTTP layer.
                String value = randomString(r, 300).replaceAll("[\\r\\n]", " ");
                String sent = r.nextBoolean() ? value.replaceAll("[^\\x20-\\x7e]", "x") : value;
                headers.put("X-Correlation-Id", sent);
                return !sent.matches("[\\x20-\\x7e]*");
            }
            case 5 -> {
                headers.put("X-Fuzz", "v".repeat(20_000 + r.nextInt(50_000)));
                return true;
            }
            case 6 -> {
                for (int i = 0; i < 150; i++) {
                    headers.put("X-Many-" + i, Integer.toString(i));
                }
                return true;
            }
            case 7 -> headers.put("Accept", List.of("application/xml", "text/event-stream", "*/*;q=bad", "image/png").get(r.nextInt(4)));
            default -> {
                headers.put("Authorization", "bearer " + tenantToken + " trailing");
            }
        }
        return false;
    }

    private static String pathTrick(String path, Random r) {
        String[] tricks = {
            path + "/..", path.replace("/v1/", "/v1//"), path.replace("/v1/", "/v1/./"), path + "%00", path + ";jsessionid=1",
            path.replace("/v1/", "/v1/%2e%2e/v1/"), path.replace("/v1/", "/V1/"), "/v1/tasks/" + "a".repeat(5_000),
            "/v1/tasks/%2F..%2F..%2Fq%2Fhealth", "/v1/tasks/%ZZ", "/v1/tasks/%C0%AF", "/v1/tasks/\u00e9t\u00e9", "/v1/tasks/00000000-0000-0000-0000-000000000000%20",
            "/v1/policies/" + "n".repeat(300) + "/binding", "/v1/tenants/..%2Fadmin/quotas", path + "?limit=-1&limit=999999999999&cursor=%FF",
            "/v1/tasks?limit=" + "9".repeat(40), "/v1/tasks?cursor=" + "x".repeat(3000), "*", "/v1/tasks#frag"
        };
        return tricks[r.nextInt(tricks.length)];
    }

    private static List<Long> regressionSeeds() throws IOException {
        List<Long> seeds = new ArrayList<>();
        if (Files.exists(REGRESSIONS)) {
            for (String line : Files.readAllLines(REGRESSIONS)) {
                String s = line.replaceAll("#.*", "").trim();
                if (!s.isEmpty()) {
                    seeds.add(Long.parseLong(s.split("\\s+")[0]));
                }
            }
        }
        return seeds;
    }

    // ---- raw HTTP/1.1 -------------------------------------------------------------------------------------------

    private static Answer send(Case c) throws IOException {
        URI base = URI.create(baseUrl());
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5_000);
            s.setSoTimeout(30_000);
            ByteArrayOutputStream req = new ByteArrayOutputStream();
            req.write((c.method() + " " + c.target() + " HTTP/1.1\r\n").getBytes(StandardCharsets.UTF_8));
            req.write(("Host: " + base.getHost() + ":" + base.getPort() + "\r\nConnection: close\r\n").getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, String> h : c.headers().entrySet()) {
                req.write((h.getKey() + ": " + h.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            if (c.body().length > 0 || !c.method().equals("GET")) {
                req.write(("Content-Length: " + c.body().length + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            req.write("\r\n".getBytes(StandardCharsets.UTF_8));
            req.write(c.body());
            try {
                s.getOutputStream().write(req.toByteArray());
                s.getOutputStream().flush();
            } catch (IOException e) {
                // The server may answer and close before reading a large body; the answer is still readable.
            }
            return read(s.getInputStream());
        }
    }

    /**
     * Reads one answer: the head, then exactly the body its framing announces (the server may keep the connection
     * open after answering early, for example before reading an oversize body, so reading to the end could wait).
     */
    private static Answer read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            head.write(b);
            byte[] h = head.toByteArray();
            int n = h.length;
            if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
                break;
            }
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        if (!text.startsWith("HTTP/1.") || !text.endsWith("\r\n\r\n")) {
            throw new IOException("not an HTTP answer: " + abbreviate(text));
        }
        String[] lines = text.substring(0, text.length() - 4).split("\r\n");
        int status = Integer.parseInt(lines[0].substring(9, 12));
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.computeIfAbsent(lines[i].substring(0, colon).trim(), k -> new ArrayList<>()).add(lines[i].substring(colon + 1).trim());
        }
        String length = header(headers, "Content-Length");
        String encoding = header(headers, "Transfer-Encoding");
        byte[] body;
        if (length != null) {
            body = in.readNBytes(Integer.parseInt(length));
        } else if (encoding != null && encoding.toLowerCase(Locale.ROOT).contains("chunked")) {
            body = readChunked(in);
        } else {
            body = in.readAllBytes();
        }
        return new Answer(status, headers, new String(body, StandardCharsets.UTF_8));
    }

    private static String header(Map<String, List<String>> headers, String name) {
        return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(e -> e.getValue().get(0)).findFirst()
                .orElse(null);
    }

    private static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            StringBuilder line = new StringBuilder();
            int b;
            while ((b = in.read()) != -1 && b != '\n') {
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            int size = Integer.parseInt(line.toString().split(";")[0].trim(), 16);
            if (size == 0) {
                return out.toByteArray();
            }
            out.write(in.readNBytes(size));
            in.readNBytes(2);
        }
    }

    /**
     * The path the server routes: it removes dot segments (also percent-encoded ones, RFC 3986 section 6.2.2.2), so
     * {@code /v1/./tasks} is {@code /v1/tasks} and answering it as such is right.
     */
    /**
     * The path a server routes: dot segments resolved, and matrix parameters ({@code ;jsessionid=1}) dropped, since
     * JAX-RS reads them as parameters of the same resource, not as part of its path.
     */
    private static String normalized(String path) {
        try {
            return URI.create(path.replaceAll("(?i)%2e", ".").replaceAll(";[^/]*", "")).normalize().getPath();
        } catch (IllegalArgumentException e) {
            return path;
        }
    }

    private static String pathOnly(String target) {
        int q = target.indexOf('?');
        return q < 0 ? target : target.substring(0, q);
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…(" + s.length() + " chars)";
    }

    private static String abbreviateHeaders(Map<String, String> headers) {
        Map<String, String> shown = new LinkedHashMap<>();
        headers.forEach((k, v) -> shown.put(k, k.equals("Authorization") && v.length() > 40 ? v.substring(0, 40) + "…" : abbreviate(v)));
        return shown.size() > 6 ? shown.size() + " headers" : shown.toString();
    }
}
