package io.sluice.core.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sluice.core.task.EngineKind;
import io.sluice.core.task.Priority;
import io.sluice.core.task.WireEnum;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Reads {@link SluiceConfig} from YAML. Strict mode (the default) rejects unknown properties with the path of
 * the offending field (SPEC CFG-2); every semantic error names its path too.
 */
public final class ConfigLoader {
    /** Pool and replica ids; {@link ConfigSchema} publishes the same pattern. */
    static final Pattern ID = Pattern.compile("^[a-z0-9][a-z0-9-]{0,62}$");
    /** A catalog trust root: registry, key id and base64 SPKI separated by single spaces. */
    static final Pattern TRUST_ROOT = Pattern.compile("^\\S+ \\S+ [A-Za-z0-9+/=]+$");
    /** A quantisation or sampler profile version: 1..64 characters, no spaces (they name and key replica sets). */
    static final Pattern LABEL = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._:+-]{0,63}$");

    /** Thrown for any invalid configuration; the message starts with the offending path. */
    public static final class ConfigException extends RuntimeException {
        public ConfigException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final Logger LOG = Logger.getLogger(ConfigLoader.class);

    private final ObjectMapper yaml;
    private final boolean strict;
    private final Consumer<String> ignoredField;

    /** Strict ({@code true}) refuses unknown fields; compat logs each one (a warning naming its path) and ignores it. */
    public ConfigLoader(boolean strict) {
        this(strict, path -> LOG.warnf("configuration: ignoring unknown field %s (compat mode)", path));
    }

    /**
     * @param strict refuse unknown fields (CFG-2 strict mode) instead of ignoring them
     * @param ignoredField told the path of every unknown field ignored in compat mode
     */
    public ConfigLoader(boolean strict, Consumer<String> ignoredField) {
        this.strict = strict;
        this.ignoredField = ignoredField;
        var builder = JsonMapper.builder(new YAMLFactory())
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, strict)
                .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
                .addModule(WireEnumModule.create(EngineKind.class, Priority.class));
        this.yaml = builder.build();
    }

    /** Reads {@code file}; every error message starts with the file, then the offending path. */
    public SluiceConfig load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (ConfigException e) {
            throw new ConfigException(file + ": " + e.getMessage(), e);
        } catch (JsonMappingException e) {
            throw new ConfigException(file + ": " + pathOf(e) + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
    }

    public SluiceConfig parse(String yamlText) {
        try {
            return read(yamlText);
        } catch (JsonMappingException e) {
            throw new ConfigException(pathOf(e) + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    private SluiceConfig read(String yamlText) throws IOException {
        if (!strict) {
            // Jackson skips unknown fields silently; compat mode must still say which ones it ignored (CFG-2).
            JsonNode tree = yaml.readTree(yamlText);
            if (tree != null) {
                ConfigSchema.unknownFields(tree).forEach(ignoredField);
            }
        }
        return validate(yaml.readValue(yamlText, SluiceConfig.class));
    }

    /** An engine URL as the network sees it: scheme and host case-folded, default port explicit, no trailing slash. */
    private static String endpointKey(String url) {
        URI u = URI.create(url);
        String scheme = u.getScheme().toLowerCase(java.util.Locale.ROOT);
        int port = u.getPort() > 0 ? u.getPort() : ("https".equals(scheme) ? 443 : 80);
        String path = u.getRawPath() == null ? "" : u.getRawPath().replaceAll("/+$", "");
        return scheme + "://" + u.getHost().toLowerCase(java.util.Locale.ROOT) + ":" + port + path;
    }

    private static String pathOf(JsonMappingException e) {
        StringBuilder sb = new StringBuilder("$");
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            } else {
                sb.append('.').append(r.getFieldName());
            }
        }
        return sb.toString();
    }

    private static SluiceConfig validate(SluiceConfig c) {
        Set<String> poolIds = new HashSet<>();
        Map<String, String> endpoints = new HashMap<>();
        for (int i = 0; i < c.pools().size(); i++) {
            SluiceConfig.PoolConfig p = c.pools().get(i);
            String at = "$.pools[" + i + "]";
            if (p.id() == null || !ID.matcher(p.id()).matches()) {
                throw fail(at + ".id", "must match " + ID.pattern());
            }
            if (!poolIds.add(p.id())) {
                throw fail(at + ".id", "duplicate pool id '" + p.id() + "'");
            }
            if (p.model() == null || p.model().isBlank()) {
                throw fail(at + ".model", "is required");
            }
            if (p.engine() == null) {
                throw fail(at + ".engine", "is required (llamacpp, vllm, tgi, triton)");
            }
            if (p.ctxMax() != null && p.ctxMax() < 1) {
                throw fail(at + ".ctx_max", "must be positive");
            }
            if (p.quant() != null && !LABEL.matcher(p.quant()).matches()) {
                throw fail(at + ".quant", "must match " + LABEL.pattern());
            }
            if (p.samplerProfileVersion() != null && !LABEL.matcher(p.samplerProfileVersion()).matches()) {
                throw fail(at + ".sampler_profile_version", "must match " + LABEL.pattern());
            }
            try {
                DeviceMask.parse(p.deviceMask());
            } catch (IllegalArgumentException e) {
                throw fail(at + ".device_mask", e.getMessage());
            }
            if (p.kvBytesPerToken() != null && p.kvBytesPerToken() < 1) {
                throw fail(at + ".kv_bytes_per_token", "must be positive");
            }
            for (Priority pr : Priority.values()) {
                if (p.queue().capacityOf(pr) < 0) {
                    throw fail(at + ".queue.capacity." + pr.wire(), "must not be negative");
                }
            }
            if (p.watchdog().wallMs() <= 0 || p.watchdog().idleMs() <= 0) {
                throw fail(at + ".watchdog", "wall_ms and idle_ms must be positive");
            }
            if (p.replicas().isEmpty()) {
                throw fail(at + ".replicas", "needs at least one replica");
            }
            Set<String> replicaIds = new HashSet<>();
            for (int j = 0; j < p.replicas().size(); j++) {
                SluiceConfig.ReplicaConfig r = p.replicas().get(j);
                String rat = at + ".replicas[" + j + "]";
                if (r.id() == null || !ID.matcher(r.id()).matches()) {
                    throw fail(rat + ".id", "must match " + ID.pattern());
                }
                if (!replicaIds.add(r.id())) {
                    throw fail(rat + ".id", "duplicate replica id '" + r.id() + "'");
                }
                try {
                    URI u = URI.create(r.url());
                    if (!"http".equalsIgnoreCase(u.getScheme()) && !"https".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
                        throw new IllegalArgumentException("scheme");
                    }
                } catch (RuntimeException e) {
                    throw fail(rat + ".url", "must be an http(s) URL");
                }
                // One engine listed twice would have its slots counted twice and run tasks of two pools on one device
                // mask (SCH-6). One server hosting several models (Triton) is one endpoint per model, so the model counts.
                String endpoint = endpointKey(r.url()) + " " + p.model();
                String other = endpoints.putIfAbsent(endpoint, p.id() + "/" + r.id());
                if (other != null) {
                    throw fail(rat + ".url", "is the engine of replica " + other + " already, for the same model; list each engine once");
                }
                // The key becomes an HTTP header value; the message names the field, never the value.
                if (r.apiKey() != null && !r.apiKey().chars().allMatch(ch -> ch > 0x20 && ch < 0x7f)) {
                    throw fail(rat + ".api_key", "must be printable ASCII without spaces");
                }
            }
        }
        for (var e : c.scheduling().priorityWeights().entrySet()) {
            if (!(e.getValue() > 0)) {
                throw fail("$.scheduling.priority_weights." + e.getKey().wire(), "must be positive");
            }
        }
        if (!(c.scheduling().defaultTenantWeight() > 0)) {
            throw fail("$.scheduling.default_tenant_weight", "must be positive");
        }
        var admission = c.admission();
        positive("$.admission.max_body_bytes", admission.maxBodyBytes());
        var policy = admission.policy();
        positive("$.admission.policy.call_timeout_ms", policy.callTimeoutMs());
        positive("$.admission.policy.call_wall_timeout_ms", policy.callWallTimeoutMs());
        positive("$.admission.policy.memory_bytes", policy.memoryBytes());
        positive("$.admission.policy.output_bytes", policy.outputBytes());
        positive("$.admission.policy.module_bytes", policy.moduleBytes());
        positive("$.admission.policy.uploads_per_minute", policy.uploadsPerMinute());
        positive("$.admission.policy.upload_burst", policy.uploadBurst());
        var shadow = policy.shadow();
        positive("$.admission.policy.shadow.queue_capacity", shadow.queueCapacity());
        positive("$.admission.policy.shadow.threads", shadow.threads());
        positive("$.admission.policy.shadow.record_queue_capacity", shadow.recordQueueCapacity());
        positive("$.admission.policy.shadow.record_batch", shadow.recordBatch());
        positive("$.admission.policy.shadow.record_flush_ms", shadow.recordFlushMs());
        positive("$.admission.policy.shadow.retention_hours", shadow.retentionHours());
        positive("$.admission.policy.shadow.replay_max_records", shadow.replayMaxRecords());
        if (c.trust().roots() != null) {
            for (int i = 0; i < c.trust().roots().size(); i++) {
                String root = c.trust().roots().get(i);
                if (root == null || !TRUST_ROOT.matcher(root).matches()) {
                    throw fail("$.trust.roots[" + i + "]", "must be 'registry keyid base64-SPKI'");
                }
            }
        }
        var sessions = c.defaults().sessions();
        positive("$.defaults.sessions.ttl_ms", sessions.ttlMs());
        positive("$.defaults.sessions.max_turns", sessions.maxTurns());
        positive("$.defaults.sessions.tokens_budget", sessions.tokensBudget());
        positive("$.defaults.sessions.time_budget_ms", sessions.timeBudgetMs());
        positive("$.defaults.sessions.cost_budget", sessions.costBudget());
        notNegative("$.defaults.sessions.cost_per_1k_prompt_tokens", sessions.costPer1kPromptTokens());
        notNegative("$.defaults.sessions.cost_per_1k_output_tokens", sessions.costPer1kOutputTokens());
        return c;
    }

    private static void positive(String path, Number value) {
        if (value != null && !(value.doubleValue() > 0)) {
            throw fail(path, "must be positive");
        }
    }

    private static void notNegative(String path, Number value) {
        if (value != null && value.doubleValue() < 0) {
            throw fail(path, "must not be negative");
        }
    }

    private static ConfigException fail(String path, String message) {
        return new ConfigException(path + ": " + message, null);
    }

    /** Lets YAML use the API spelling of enums ({@code llamacpp}, {@code interactive}). */
    static final class WireEnumModule {
        private WireEnumModule() {}

        @SafeVarargs
        static com.fasterxml.jackson.databind.module.SimpleModule create(Class<? extends Enum<?>>... types) {
            var m = new com.fasterxml.jackson.databind.module.SimpleModule("sluice-wire-enums");
            for (Class<? extends Enum<?>> t : types) {
                register(m, t);
            }
            return m;
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private static void register(com.fasterxml.jackson.databind.module.SimpleModule m, Class t) {
            m.addDeserializer(t, new com.fasterxml.jackson.databind.JsonDeserializer<Object>() {
                @Override
                public Object deserialize(com.fasterxml.jackson.core.JsonParser p, com.fasterxml.jackson.databind.DeserializationContext ctx)
                        throws IOException {
                    String v = p.getValueAsString();
                    try {
                        return WireEnum.parse((Class) t, p.currentName(), v);
                    } catch (RuntimeException e) {
                        throw JsonMappingException.from(p, "unknown value '" + v + "'", e);
                    }
                }
            });
            m.addKeyDeserializer(t, new com.fasterxml.jackson.databind.KeyDeserializer() {
                @Override
                public Object deserializeKey(String key, com.fasterxml.jackson.databind.DeserializationContext ctx) throws IOException {
                    try {
                        return WireEnum.parse((Class) t, key, key);
                    } catch (RuntimeException e) {
                        throw JsonMappingException.from(ctx, "unknown key '" + key + "'", e);
                    }
                }
            });
        }
    }
}
