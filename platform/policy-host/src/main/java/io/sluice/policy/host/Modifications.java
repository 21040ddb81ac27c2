package io.sluice.policy.host;

import java.util.Map;

/**
 * The changes a {@code modify} decision applies to a request. Every field is optional ({@code null} =
 * unchanged). The host has already checked that they only tighten the request: {@code maxTokens} is at
 * most the requested value, {@code priority} is only ever {@link Priority#BATCH}, {@code deadlineMs} is at
 * most the requested deadline, and {@code labels} only adds keys the request did not have (an existing
 * key may be repeated with the same value).
 */
public record Modifications(Integer maxTokens, Priority priority, Long deadlineMs, Map<String, String> labels) {
    public static final Modifications NONE = new Modifications(null, null, null, Map.of());

    public Modifications {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    public boolean isEmpty() {
        return maxTokens == null && priority == null && deadlineMs == null && labels.isEmpty();
    }

    public static Modifications maxTokens(int maxTokens) {
        return new Modifications(maxTokens, null, null, Map.of());
    }

    public Modifications withPriority(Priority p) {
        return new Modifications(maxTokens, p, deadlineMs, labels);
    }

    public Modifications withDeadlineMs(Long d) {
        return new Modifications(maxTokens, priority, d, labels);
    }

    public Modifications withLabels(Map<String, String> l) {
        return new Modifications(maxTokens, priority, deadlineMs, l);
    }

    public Modifications withMaxTokens(Integer m) {
        return new Modifications(m, priority, deadlineMs, labels);
    }
}
