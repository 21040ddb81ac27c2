package io.sluice.policy.host.internal;

import io.sluice.policy.host.PolicyValidationException;
import java.util.LinkedHashMap;
import java.util.Map;

/** A bounded map of refused digests to their refusal, least recently used evicted first. Thread-safe. */
final class RefusedDigests {
    private final Map<String, PolicyValidationException> byDigest;

    RefusedDigests(int capacity) {
        this.byDigest = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, PolicyValidationException> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized PolicyValidationException get(String digest) {
        return byDigest.get(digest);
    }

    synchronized void put(String digest, PolicyValidationException refusal) {
        byDigest.put(digest, refusal);
    }

    synchronized int size() {
        return byDigest.size();
    }
}
