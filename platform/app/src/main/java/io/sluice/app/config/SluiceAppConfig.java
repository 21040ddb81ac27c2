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

    Policy policy();

    Instance instance();

    Catalog catalog();

    Observability observability();

    /** Metrics labels and health checks (OBS-1, OBS-3, ADR 0014); see docs/operations.md. */
    interface Observability {
        /**
         * How many tenants get their own {@code tenant} label value on metrics; the tenants first seen get one, every
         * later tenant is counted under {@code other}. Bounds the series a scrape can hold, whatever the tenant count.
         */
        @WithDefault("20")
        int tenantLabelLimit();

        /** How often the OIDC provider's discovery document and JWKS are fetched for the readiness check. */
        @WithDefault("10000")
        long oidcCheckIntervalMs();

        /**
         * Whether an unreachable OIDC provider makes readiness DOWN (default). Off: the check stays UP and only reports
         * {@code reachable=false}, for deployments that prefer serving with cached keys over leaving the load balancer.
         */
        @WithDefault("true")
        boolean oidcAffectsReadiness();
    }

    /** Trust settings of the model catalog (CAT-2); see docs/catalog.md. */
    interface Catalog {
        /**
         * {@code strict} (default): unsigned, badly signed or unknown-registry entries and entries without a valid
         * CycloneDX SBOM are refused at ingest with 422 UNTRUSTED_ARTIFACT; {@code permissive}: stored as unverified.
         */
        @WithDefault("strict")
        String trustPolicy();

        /**
         * Trust roots, each {@code registry keyid base64-SPKI} (the body of a "PUBLIC KEY" PEM): ECDSA P-256 or
         * Ed25519 public keys trusted to sign manifests of that registry. A malformed root stops the start.
         */
        Optional<java.util.List<String>> trustRoots();
    }

    /** This instance among several sharing one database (REL-5). */
    interface Instance {
        /**
         * Base URL other instances use to reach this one: they forward stream, cancel and status requests for the
         * tasks this instance runs. Must be reachable from every instance (in Kubernetes, the pod IP, for example
         * through the Downward API). Default: {@code http://<host>:<port>} of this process, with the loopback
         * address when the HTTP server binds only loopback.
         */
        Optional<String> advertisedUrl();

        /**
         * How long this instance's lease lasts without a heartbeat. Heartbeats run every third of it; once it has
         * expired, other instances resolve this instance's unfinished tasks.
         */
        @WithDefault("10000")
        long leaseMs();
    }

    /** Limits of tenant policy calls (POL-2); defaults are the specification's. */
    interface Policy {
        /**
         * CPU-time limit of one policy call (POL-2, ADR 0007): past it the call is interrupted and counts as a timeout.
         * CPU time, so a saturated machine that merely delays a call never trips it.
         */
        @WithDefault("10")
        long callTimeoutMs();

        /** Hard wall-clock stop of one policy call, for guests that block or when CPU time cannot be measured. */
        @WithDefault("1000")
        long callWallTimeoutMs();

        /** Guest linear memory plus Extism kernel allocations per instance. */
        @WithDefault("16777216")
        long memoryBytes();

        /** Largest output of one call. */
        @WithDefault("65536")
        int outputBytes();

        /** Largest module accepted at upload. */
        @WithDefault("4194304")
        int moduleBytes();

        /**
         * Policy uploads one tenant may make per minute, all instances together, once its burst is spent (POL-9); more
         * answer 429 QUOTA_EXCEEDED with Retry-After. Refused uploads count too: they are what the limit is for.
         */
        @WithDefault("10")
        int uploadsPerMinute();

        /** Policy uploads one tenant may make in a row before {@link #uploadsPerMinute()} applies. */
        @WithDefault("10")
        int uploadBurst();

        /** Shadow evaluation, decision records and replay (POL-8, ADR 0026). */
        Shadow shadow();
    }

    interface Shadow {
        /**
         * Shadow evaluations waiting for the shadow thread. When full, a new one is dropped and counted
         * ({@code policy_shadow_dropped_total}) rather than delaying admission.
         */
        @WithDefault("1024")
        int queueCapacity();

        /** Threads running shadow candidates, on a policy host of their own so they never take a live call's slot. */
        @WithDefault("1")
        int threads();

        /**
         * Decision records and shadow results waiting to be written. When full, a new one is dropped and counted
         * ({@code policy_records_dropped_total}); admission never waits for the database.
         */
        @WithDefault("10000")
        int recordQueueCapacity();

        /** Rows written per insert at most. */
        @WithDefault("500")
        int recordBatch();

        /** Pause between two flushes of the record queue. */
        @WithDefault("250")
        long recordFlushMs();

        /** How long decision records and shadow results are kept; also the longest replay window. */
        @WithDefault("168")
        int retentionHours();

        /** Most recorded decisions one replay evaluates (the newest ones of the window). */
        @WithDefault("10000")
        int replayMaxRecords();
    }

    interface Http {
        /** Largest accepted request body in bytes; larger bodies answer 400 INVALID_PARAMS (ADM-3). */
        @WithDefault("1048576")
        long maxBodyBytes();

        /**
         * Largest policy upload body ({@code POST /v1/policies/{name}/versions}): the module size limit (4 MiB)
         * plus room for fixtures and multipart framing. The module limit itself is enforced by the policy host.
         */
        @WithDefault("5242880")
        long maxUploadBytes();
    }

    interface Security {
        /** Token claim holding the tenant id (SEC-2). A tenant-role token without it is refused. */
        @WithDefault("tenant_id")
        String tenantClaim();

        /**
         * How many verified bearer tokens are remembered, so that a client's later requests with the same token skip
         * signature verification (a task is a submit and a stream: two requests, one token). 0 turns it off.
         */
        @WithDefault("10000")
        int verifiedTokenCacheSize();

        /**
         * Longest time a verified token is trusted without verifying it again, also bounded by its {@code exp}: the
         * delay after which a key removed from the provider's JWKS stops being honoured for tokens already seen.
         */
        @WithDefault("60")
        long verifiedTokenCacheSeconds();
    }

    interface Tasks {
        /**
         * How long an ended task's events stay replayable on its stream (SSE-2, "a short retention"); afterwards only
         * its terminal event is replayed, from the database. Every ended task is held in memory this long, so the
         * heap grows with admission rate times retention.
         */
        @WithDefault("60000")
        long retentionMs();

        /**
         * A comment line is sent on a task stream that had nothing to send for this long, so that proxies and load
         * balancers do not close a quiet stream (a queued task may wait long for its first event).
         */
        @WithDefault("15000")
        long streamHeartbeatMs();

        /** Reconnection delay suggested to SSE clients (the {@code retry:} field sent first on every stream). */
        @WithDefault("1000")
        long streamRetryMs();

        /**
         * Whether an admitted task may start on its engine while its admission record is being committed (ADR 0022), so
         * that the engine's prefill overlaps the commit. The {@code 202} still waits for the commit, and nothing of the
         * task is visible or stored before it. Applies only where the commit cannot change the placement: the task's
         * session is known on this instance, its {@code kv_hint} is {@code cold}, or its pool has one replica.
         */
        @WithDefault("true")
        boolean startBeforeRecorded();
    }

    interface Sessions {
        /** Session time to live (SES-2). */
        @WithDefault("600000")
        long ttlMs();

        /** Turns (tasks) allowed per session (SES-2). */
        @WithDefault("8")
        int maxTurns();

        /**
         * Token budget (generated tokens) of a session whose first task sets none (SES-4); unset = unbounded. A task's
         * {@code session_budget} replaces it for the session that task creates.
         */
        Optional<Long> tokensBudget();

        /** Time budget (decode milliseconds) of a session whose first task sets none (SES-4); unset = unbounded. */
        Optional<Long> timeBudgetMs();

        /** Cost budget of a session whose first task sets none (SES-4), in cost units; unset = unbounded. */
        Optional<Double> costBudget();

        /** Cost units of 1,000 prompt tokens (estimated at admission), for cost budgets (SES-4). */
        @WithDefault("1.0")
        double costPer1kPromptTokens();

        /** Cost units of 1,000 generated tokens, for cost budgets (SES-4). */
        @WithDefault("2.0")
        double costPer1kOutputTokens();
    }
}
