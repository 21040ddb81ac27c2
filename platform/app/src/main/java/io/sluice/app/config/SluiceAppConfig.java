package io.sluice.app.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/** Platform settings under {@code sluice.*}; pools and engines come from the YAML file it names (CFG-1). */
@ConfigMapping(prefix = "sluice")
public interface SluiceAppConfig {

    /** Path of the YAML file configuring pools, engines and scheduling. Required outside tests. */
    Optional<String> configFile();

    /** Reject unknown YAML fields with their path (strict, default) or log and ignore them (compat) — CFG-2. */
    @WithDefault("true")
    boolean configStrict();

    Http http();

    Security security();

    Tasks tasks();

    Sessions sessions();

    interface Http {
        /** Largest accepted request body in bytes; larger bodies answer 400 INVALID_PARAMS (ADM-3). */
        @WithDefault("1048576")
        long maxBodyBytes();
    }

    interface Security {
        /** Token claim holding the tenant id (SEC-2). A tenant-role token without it is refused. */
        @WithDefault("tenant_id")
        String tenantClaim();
    }

    interface Tasks {
        /** How long an ended task's events stay replayable on its stream (SSE-2). */
        @WithDefault("300000")
        long retentionMs();
    }

    interface Sessions {
        /** Session time to live (SES-2). */
        @WithDefault("600000")
        long ttlMs();

        /** Turns (tasks) allowed per session (SES-2). */
        @WithDefault("8")
        int maxTurns();
    }
}
