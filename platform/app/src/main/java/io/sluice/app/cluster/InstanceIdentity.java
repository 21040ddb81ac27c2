package io.sluice.app.cluster;

import io.sluice.app.config.SluiceAppConfig;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Who this process is among the instances sharing one database (REL-5): an id unique per process (the host
 * name plus random bits, so a restarted pod is a new instance and never inherits the tasks of its predecessor),
 * and the URL other instances use to reach it.
 */
@Singleton
public class InstanceIdentity {
    private final String id;
    private volatile String advertisedUrl;

    @Inject
    SluiceAppConfig config;

    @ConfigProperty(name = "quarkus.http.host", defaultValue = "0.0.0.0")
    String httpHost;

    public InstanceIdentity() {
        byte[] random = new byte[6];
        new SecureRandom().nextBytes(random);
        this.id = hostName() + "-" + HexFormat.of().formatHex(random);
    }

    public String id() {
        return id;
    }

    /** Base URL of this instance's HTTP API; known once the HTTP server listens. */
    public String advertisedUrl() {
        String url = advertisedUrl;
        if (url == null) {
            throw new IllegalStateException("the HTTP server has not started yet");
        }
        return url;
    }

    /** Fixes the advertised URL once the HTTP server listens on {@code port} (its real port, also when 0 was asked). */
    public String listening(int port) {
        advertisedUrl = config.instance().advertisedUrl().map(InstanceIdentity::trimSlash).orElseGet(() -> defaultUrl(port));
        return advertisedUrl;
    }

    private String defaultUrl(int port) {
        String host = httpHost;
        if ("0.0.0.0".equals(host) || "::".equals(host) || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostAddress();
            } catch (UnknownHostException e) {
                host = "127.0.0.1";
            }
        } else if ("localhost".equals(host)) {
            host = "127.0.0.1";
        }
        if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + port;
    }

    private static String trimSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return sanitize(env);
        }
        try {
            return sanitize(InetAddress.getLocalHost().getHostName());
        } catch (UnknownHostException e) {
            return "sluice";
        }
    }

    private static String sanitize(String s) {
        String cleaned = s.replaceAll("[^A-Za-z0-9._-]", "-");
        return cleaned.length() > 100 ? cleaned.substring(0, 100) : cleaned;
    }
}
