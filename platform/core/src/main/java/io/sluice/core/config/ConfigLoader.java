package io.sluice.core.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@link SluiceConfig} from YAML. Strict mode (the default) rejects unknown properties with the path of
 * the offending field (SPEC CFG-2); every semantic error names its path too.
 */
public final class ConfigLoader {
    private static final Pattern ID = Pattern.compile("^[a-z0-9][a-z0-9-]{0,62}$");

    /** Thrown for any invalid configuration; the message starts with the offending path. */
    public static final class ConfigException extends RuntimeException {
        public ConfigException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final ObjectMapper yaml;

    public ConfigLoader(boolean strict) {
        this.yaml = JsonMapper.builder(new YAMLFactory())
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, strict)
                .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
                .addModule(WireEnumModule.create(EngineKind.class, Priority.class))
                .build();
    }

    public SluiceConfig load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return validate(yaml.readValue(in, SluiceConfig.class));
        } catch (JsonMappingException e) {
            throw new ConfigException(file + ": " + pathOf(e) + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
    }

    public SluiceConfig parse(String yamlText) {
        try {
            return validate(yaml.readValue(yamlText, SluiceConfig.class));
        } catch (JsonMappingException e) {
            throw new ConfigException(pathOf(e) + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ConfigException(e.getMessage(), e);
        }
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
                    if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
                        throw new IllegalArgumentException("scheme");
                    }
                } catch (RuntimeException e) {
                    throw fail(rat + ".url", "must be an http(s) URL");
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
        return c;
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
