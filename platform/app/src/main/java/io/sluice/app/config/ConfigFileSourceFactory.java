package io.sluice.app.config;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.common.MapBackedConfigSource;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.SluiceConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Makes the configuration file the one place an operator configures Sluice (SPEC CFG-1): its {@code admission},
 * {@code trust} and {@code defaults} sections become the {@code sluice.*} properties they stand for, so every
 * component keeps reading its typed {@link SluiceAppConfig} and none of them needs to know about the file.
 *
 * <p>It is also the earliest point of the start: the file is read and checked here, while the configuration is
 * built, so a refused file stops the process before any bean exists, any port opens or any migration runs (the
 * file is read again for the pools by {@code SchedulingWiring}; both reads see the same file).
 *
 * <p>Ordinal {@value #ORDINAL}: above {@code application.properties} (250), below environment variables (300) and
 * system properties (400), so a value set in the environment still overrides the file.
 */
public final class ConfigFileSourceFactory implements ConfigSourceFactory {
    static final int ORDINAL = 260;
    static final String NAME = "SluiceConfigFile";

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        ConfigValue file = context.getValue("sluice.config-file");
        if (file == null || file.getValue() == null || file.getValue().isBlank()) {
            return List.of();
        }
        ConfigValue strictValue = context.getValue("sluice.config-strict");
        boolean strict = strictValue == null || strictValue.getValue() == null || !"false".equalsIgnoreCase(strictValue.getValue().trim());
        SluiceConfig config;
        try {
            // Compat mode's warnings are logged by the second read, once logging is set up.
            config = new ConfigLoader(strict, ignored -> { }).load(Path.of(file.getValue()));
        } catch (ConfigLoader.ConfigException e) {
            throw new IllegalStateException("refusing to start: the configuration file named by sluice.config-file "
                    + "(SLUICE_CONFIG_FILE) is invalid: " + e.getMessage(), e);
        }
        return List.of(new MapBackedConfigSource(NAME + "[" + file.getValue() + "]", properties(config), ORDINAL) { });
    }

    /** The {@code sluice.*} properties the file's optional sections set; unset members set nothing. */
    static Map<String, String> properties(SluiceConfig c) {
        Map<String, String> p = new LinkedHashMap<>();
        var admission = c.admission();
        put(p, "sluice.http.max-body-bytes", admission.maxBodyBytes());
        var policy = admission.policy();
        put(p, "sluice.policy.call-timeout-ms", policy.callTimeoutMs());
        put(p, "sluice.policy.call-wall-timeout-ms", policy.callWallTimeoutMs());
        put(p, "sluice.policy.memory-bytes", policy.memoryBytes());
        put(p, "sluice.policy.output-bytes", policy.outputBytes());
        put(p, "sluice.policy.module-bytes", policy.moduleBytes());
        put(p, "sluice.policy.uploads-per-minute", policy.uploadsPerMinute());
        put(p, "sluice.policy.upload-burst", policy.uploadBurst());
        var shadow = policy.shadow();
        put(p, "sluice.policy.shadow.queue-capacity", shadow.queueCapacity());
        put(p, "sluice.policy.shadow.threads", shadow.threads());
        put(p, "sluice.policy.shadow.record-queue-capacity", shadow.recordQueueCapacity());
        put(p, "sluice.policy.shadow.record-batch", shadow.recordBatch());
        put(p, "sluice.policy.shadow.record-flush-ms", shadow.recordFlushMs());
        put(p, "sluice.policy.shadow.retention-hours", shadow.retentionHours());
        put(p, "sluice.policy.shadow.replay-max-records", shadow.replayMaxRecords());
        if (c.trust().policy() != null) {
            p.put("sluice.catalog.trust-policy", c.trust().policy().label());
        }
        if (c.trust().roots() != null && !c.trust().roots().isEmpty()) {
            // A list property: commas separate elements (a root never contains one; escape anyway).
            p.put("sluice.catalog.trust-roots", c.trust().roots().stream().map(r -> r.replace(",", "\\,")).collect(Collectors.joining(",")));
        }
        var sessions = c.defaults().sessions();
        put(p, "sluice.sessions.ttl-ms", sessions.ttlMs());
        put(p, "sluice.sessions.max-turns", sessions.maxTurns());
        put(p, "sluice.sessions.tokens-budget", sessions.tokensBudget());
        put(p, "sluice.sessions.time-budget-ms", sessions.timeBudgetMs());
        put(p, "sluice.sessions.cost-budget", sessions.costBudget());
        put(p, "sluice.sessions.cost-per1k-prompt-tokens", sessions.costPer1kPromptTokens());
        put(p, "sluice.sessions.cost-per1k-output-tokens", sessions.costPer1kOutputTokens());
        return p;
    }

    private static void put(Map<String, String> p, String key, Object value) {
        if (value != null) {
            p.put(key, value.toString());
        }
    }
}
