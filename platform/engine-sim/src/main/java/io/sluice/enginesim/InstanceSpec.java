package io.sluice.enginesim;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Configuration of one simulated engine instance (one loopback port, one model).
 *
 * <p>Build one with {@link #of(EngineKind)} and the {@code withXxx} methods, or parse the
 * command-line form with {@link #parse(String)}. Instances are immutable.
 *
 * @param engine protocol to speak
 * @param host address to bind; loopback by default
 * @param port port to bind; {@code 0} picks a free one
 * @param model model name the engine serves (llama.cpp alias, vLLM model id, TGI model_id, Triton model name)
 * @param slots how many generations run at once; further requests wait (see {@link #queueTimeoutMs})
 * @param tokensPerSecond pacing per generation; {@code <= 0} means as fast as possible
 * @param engineVersion version reported by the engine and fed into the token stream (DET-1)
 * @param ctx context length per slot, in simulated tokens
 * @param digest model digest (sha256 hex) reported by the engine and fed into the token stream
 * @param loadMs simulated model load time: health reports loading until it has elapsed
 * @param queueTimeoutMs how long a request waits for a free slot before it is refused
 * @param maxQueue how many requests may wait for a slot; more are refused at once
 * @param fault fault armed at start ({@link Fault#NONE} for none)
 * @param apiKey llama.cpp and vLLM {@code --api-key}: when set, their protected paths answer 401 unless the
 *     request carries {@code Authorization: Bearer <key>}; {@code null} for an open server
 * @param slotsEndpoint llama.cpp: whether {@code GET /slots} is served; operators disable it because it shows
 *     every running prompt, and the server then answers 501
 * @param utf8Holdback llama.cpp: hold back the frame of a token with non-ASCII text and send its text with the
 *     next token, as the real server does for a token that ends inside a multi-byte UTF-8 character, so that
 *     frames are fewer than {@code tokens_predicted}. Off by default until every client counts tokens from
 *     the final frame; turn it on to test that.
 * @param interruptibleDecode llama.cpp: accept {@code resume_text} (the text a cancelled generation of the same
 *     prompt and seed had produced) and continue that generation's stream after it, and say so in {@code /props}
 *     ({@code sluice_interruptible_decode}); off by default, as no real engine does it (ADR 0027)
 * @param chatTemplate llama.cpp: the chat template {@code /props} reports ({@code chat_template}, with its
 *     {@code bos_token} and {@code eos_token}); {@link SimChatTemplate#NONE} (the default) reports an empty one, as a
 *     server whose model carries none does (ADR 0037)
 * @param gpus Triton: the GPU indices its model configuration lists in a {@code KIND_GPU} instance group
 *     ({@code instance_group[].gpus}); {@code null} (the default) reports a {@code KIND_MODEL} group, which names none.
 *     On the command line {@code gpus=0:1} (colons, as commas separate the spec's keys)
 */
public record InstanceSpec(
        EngineKind engine,
        String host,
        int port,
        String model,
        int slots,
        double tokensPerSecond,
        String engineVersion,
        int ctx,
        String digest,
        long loadMs,
        long queueTimeoutMs,
        int maxQueue,
        Fault fault,
        String apiKey,
        boolean slotsEndpoint,
        boolean utf8Holdback,
        boolean interruptibleDecode,
        SimChatTemplate chatTemplate,
        List<Integer> gpus) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final String DEFAULT_MODEL = "dev-tiny";
    public static final int DEFAULT_SLOTS = 4;
    public static final double DEFAULT_TOKENS_PER_SECOND = 100;
    public static final int DEFAULT_CTX = 4096;
    public static final long DEFAULT_QUEUE_TIMEOUT_MS = 30_000;
    public static final int DEFAULT_MAX_QUEUE = 256;

    public InstanceSpec {
        if (engine == null) {
            throw new IllegalArgumentException("engine is required");
        }
        host = host == null || host.isBlank() ? DEFAULT_HOST : host;
        model = model == null || model.isBlank() ? DEFAULT_MODEL : model;
        engineVersion = engineVersion == null || engineVersion.isBlank() ? engine.defaultVersion() : engineVersion;
        digest = digest == null || digest.isBlank() ? sha256Hex(model) : digest.toLowerCase(Locale.ROOT);
        fault = fault == null ? Fault.NONE : fault;
        chatTemplate = chatTemplate == null ? SimChatTemplate.NONE : chatTemplate;
        gpus = gpus == null ? null : List.copyOf(gpus);
        if (gpus != null && gpus.stream().anyMatch(g -> g < 0)) {
            throw new IllegalArgumentException("gpus must be device indices >= 0, got " + gpus);
        }
        apiKey = apiKey == null || apiKey.isEmpty() ? null : apiKey;
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        if (slots < 1) {
            throw new IllegalArgumentException("slots must be >= 1, got " + slots);
        }
        if (ctx < 1) {
            throw new IllegalArgumentException("ctx must be >= 1, got " + ctx);
        }
        if (!digest.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("digest must be 64 hex characters (sha256), got '" + digest + "'");
        }
        if (loadMs < 0 || queueTimeoutMs < 0 || maxQueue < 0) {
            throw new IllegalArgumentException("load_ms, queue_timeout_ms and max_queue must be >= 0");
        }
        if (model.contains(",") || (engine == EngineKind.TRITON && model.contains("/"))) {
            throw new IllegalArgumentException("model name must not contain ',' (nor '/' for Triton): " + model);
        }
    }

    /** An instance of the given engine with every other setting at its default. */
    public static InstanceSpec of(EngineKind engine) {
        return new InstanceSpec(engine, DEFAULT_HOST, 0, DEFAULT_MODEL, DEFAULT_SLOTS, DEFAULT_TOKENS_PER_SECOND,
                null, DEFAULT_CTX, null, 0, DEFAULT_QUEUE_TIMEOUT_MS, DEFAULT_MAX_QUEUE, Fault.NONE, null, true, false, false, SimChatTemplate.NONE, null);
    }

    /**
     * Parses the command-line form {@code engine=llamacpp,port=0,model=dev-tiny,slots=4,...}.
     *
     * <p>Keys: engine (required), host, port, model, slots, tokens_per_s, engine_version, ctx, digest,
     * load_ms, queue_timeout_ms, max_queue, api_key, slots_endpoint, utf8_holdback, interruptible_decode, chat_template (none, chatml, llama3), gpus (Triton, 0:1), fault, fault_after_tokens, fault_count, fault_status,
     * fault_delay_ms. A digest left out defaults to the sha256 of the model name, so that it is stable.
     *
     * @throws IllegalArgumentException naming the offending key
     */
    public static InstanceSpec parse(String text) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String part : text.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value in instance spec, got '" + part + "'");
            }
            String key = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            if (kv.put(key, part.substring(eq + 1).trim()) != null) {
                throw new IllegalArgumentException("duplicate key '" + key + "' in instance spec");
            }
        }
        String engineId = kv.remove("engine");
        if (engineId == null) {
            throw new IllegalArgumentException("instance spec needs engine=llamacpp|vllm|tgi|triton: " + text);
        }
        InstanceSpec spec = of(EngineKind.fromId(engineId));
        Fault.Mode faultMode = Fault.Mode.NONE;
        int faultAfter = 0;
        int faultCount = 1;
        int faultStatus = 500;
        long faultDelay = 0;
        for (Map.Entry<String, String> e : kv.entrySet()) {
            String v = e.getValue();
            try {
                switch (e.getKey()) {
                    case "host" -> spec = spec.withHost(v);
                    case "port" -> spec = spec.withPort(Integer.parseInt(v));
                    case "model" -> spec = spec.withModel(v);
                    case "slots" -> spec = spec.withSlots(Integer.parseInt(v));
                    case "tokens_per_s" -> spec = spec.withTokensPerSecond(Double.parseDouble(v));
                    case "engine_version" -> spec = spec.withEngineVersion(v);
                    case "ctx" -> spec = spec.withCtx(Integer.parseInt(v));
                    case "digest" -> spec = spec.withDigest(v);
                    case "load_ms" -> spec = spec.withLoadMs(Long.parseLong(v));
                    case "queue_timeout_ms" -> spec = spec.withQueueTimeoutMs(Long.parseLong(v));
                    case "max_queue" -> spec = spec.withMaxQueue(Integer.parseInt(v));
                    case "api_key" -> spec = spec.withApiKey(v);
                    case "slots_endpoint" -> spec = spec.withSlotsEndpoint(Boolean.parseBoolean(v));
                    case "utf8_holdback" -> spec = spec.withUtf8Holdback(Boolean.parseBoolean(v));
                    case "interruptible_decode" -> spec = spec.withInterruptibleDecode(Boolean.parseBoolean(v));
                    case "chat_template" -> spec = spec.withChatTemplate(SimChatTemplate.fromId(v));
                    case "gpus" -> spec = spec.withGpus(java.util.Arrays.stream(v.split(":")).map(Integer::valueOf).toList());
                    case "fault" -> faultMode = Fault.Mode.fromId(v);
                    case "fault_after_tokens" -> faultAfter = Integer.parseInt(v);
                    case "fault_count" -> faultCount = Integer.parseInt(v);
                    case "fault_status" -> faultStatus = Integer.parseInt(v);
                    case "fault_delay_ms" -> faultDelay = Long.parseLong(v);
                    default -> throw new IllegalArgumentException("unknown key '" + e.getKey() + "' in instance spec");
                }
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("key '" + e.getKey() + "' needs a number, got '" + v + "'", ex);
            }
        }
        if (faultMode != Fault.Mode.NONE) {
            spec = spec.withFault(new Fault(faultMode, faultAfter, faultCount, faultStatus, faultDelay));
        }
        return spec;
    }

    public InstanceSpec withUtf8Holdback(boolean v) {
        return new InstanceSpec(engine, host, port, model, slots, tokensPerSecond, engineVersion, ctx, digest, loadMs,
                queueTimeoutMs, maxQueue, fault, apiKey, slotsEndpoint, v, interruptibleDecode, chatTemplate, gpus);
    }

    public InstanceSpec withInterruptibleDecode(boolean v) {
        return new InstanceSpec(engine, host, port, model, slots, tokensPerSecond, engineVersion, ctx, digest, loadMs,
                queueTimeoutMs, maxQueue, fault, apiKey, slotsEndpoint, utf8Holdback, v, chatTemplate, gpus);
    }

    public InstanceSpec withChatTemplate(SimChatTemplate v) {
        return new InstanceSpec(engine, host, port, model, slots, tokensPerSecond, engineVersion, ctx, digest, loadMs,
                queueTimeoutMs, maxQueue, fault, apiKey, slotsEndpoint, utf8Holdback, interruptibleDecode, v, gpus);
    }

    public InstanceSpec withGpus(List<Integer> v) {
        return new InstanceSpec(engine, host, port, model, slots, tokensPerSecond, engineVersion, ctx, digest, loadMs,
                queueTimeoutMs, maxQueue, fault, apiKey, slotsEndpoint, utf8Holdback, interruptibleDecode, chatTemplate, v);
    }

    public InstanceSpec withApiKey(String v) {
        return new InstanceSpec(engine, host, port, model, slots, tokensPerSecond, engineVersion, ctx, digest, loadMs,
                queueTimeoutMs, maxQueue, fault, v, slotsEndpoint, utf8Holdback, interruptibleDecode, chatTemplate, gpus);
    }

    public InstanceSpec withSlotsEndpoint(boolean v) {
        return new InstanceSpec(engine, host, port, model, slots, tokensPerSecond, engineVersion, ctx, digest, loadMs,
                queueTimeoutMs, maxQueue, fault, apiKey, v, utf8Holdback, interruptibleDecode, chatTemplate, gpus);
    }

    public InstanceSpec withHost(String v) {
        return new InstanceSpec(engine, v, port, model, slots, tokensPerSecond, engineVersion, ctx, digest, loadMs,
                queueTimeoutMs, maxQueue, fault, apiKey, slotsEndpoint, utf8Holdback, interruptibleDecode, chatTemplate, gpus);
    }

    public InstanceSpec withPort(int v) {
        return new InstanceSpec(engine, host, v, model, slots, tokensPerSecond, engineVersion, ctx, digest, loadMs,
                queueTimeoutMs, maxQueue, fault, apiKey, slotsEndpoint, utf8Holdback, interruptibleDecode, chatTemplate, gpus);
    }

    /** Sets the model; a digest that was the default for the old model follows the new one. */
    public InstanceSpec withModel(String v) {
        String d = digest.equals(sha256Hex(model)) ? null : digest;
        return new InstanceSpec(engine, host, port, v, slots, tokensPerSecond, engineVersion, ctx, d, loadMs,
                queueTimeoutMs, maxQueue, fault, apiKey, slotsEndpoint, utf8Holdback, interruptibleDecode, chatTemplate, gpus);
    }

    public InstanceSpec withSlots(int v) {
        return new InstanceSpec(engine, host, port, model, v, tokensPerSecond, engineVersion, ctx, digest, loadMs,
                queueTimeoutMs, maxQueue, fault, apiKey, slotsEndpoint, utf8Holdback, interruptibleDecode, chatTemplate, gpus);
    }

    public InstanceSpec withTokensPerSecond(double v) {
        return new InstanceSpec(engine, host, port, model, slots, v, engineVersion, ctx, digest, loadMs,
                queueTimeoutMs, maxQueue, fault, apiKey, slotsEndpoint, utf8Holdback, interruptibleDecode, chatTemplate, gpus);
    }

    public InstanceSpec withEngineVersion(String v) {
        return new InstanceSpec(engine, host, port, model, slots, tokensPerSecond, v, ctx, digest, loadMs,
                queueTimeoutMs, maxQueue, fault, apiKey, slotsEndpoint, utf8Holdback, interruptibleDecode, chatTemplate, gpus);
    }

    public InstanceSpec withCtx(int v) {
        return new InstanceSpec(engine, host, port, model, slots, tokensPerSecond, engineVersion, v, digest, loadMs,
                queueTimeoutMs, maxQueue, fault, apiKey, slotsEndpoint, utf8Holdback, interruptibleDecode, chatTemplate, gpus);
    }

    public InstanceSpec withDigest(String v) {
        return new InstanceSpec(engine, host, port, model, slots, tokensPerSecond, engineVersion, ctx, v, loadMs,
                queueTimeoutMs, maxQueue, fault, apiKey, slotsEndpoint, utf8Holdback, interruptibleDecode, chatTemplate, gpus);
    }

    public InstanceSpec withLoadMs(long v) {
        return new InstanceSpec(engine, host, port, model, slots, tokensPerSecond, engineVersion, ctx, digest, v,
                queueTimeoutMs, maxQueue, fault, apiKey, slotsEndpoint, utf8Holdback, interruptibleDecode, chatTemplate, gpus);
    }

    public InstanceSpec withQueueTimeoutMs(long v) {
        return new InstanceSpec(engine, host, port, model, slots, tokensPerSecond, engineVersion, ctx, digest, loadMs,
                v, maxQueue, fault, apiKey, slotsEndpoint, utf8Holdback, interruptibleDecode, chatTemplate, gpus);
    }

    public InstanceSpec withMaxQueue(int v) {
        return new InstanceSpec(engine, host, port, model, slots, tokensPerSecond, engineVersion, ctx, digest, loadMs,
                queueTimeoutMs, v, fault, apiKey, slotsEndpoint, utf8Holdback, interruptibleDecode, chatTemplate, gpus);
    }

    public InstanceSpec withFault(Fault v) {
        return new InstanceSpec(engine, host, port, model, slots, tokensPerSecond, engineVersion, ctx, digest, loadMs,
                queueTimeoutMs, maxQueue, v, apiKey, slotsEndpoint, utf8Holdback, interruptibleDecode, chatTemplate, gpus);
    }

    /** Lower-case hex sha256 of the UTF-8 bytes of {@code text}. */
    public static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JRE", e);
        }
    }
}
